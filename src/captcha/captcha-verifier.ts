/** What a captcha provider said about one token. */
export interface CaptchaAnswer {
  success: boolean;
  /** The provider's reasons (`invalid-input-response`, `timeout-or-duplicate`, …); empty when it gave none. */
  errorCodes: string[];
  /** The site the widget was solved on, as the provider reports it. */
  hostname?: string;
  /** From 0 (a bot) to 1 (a person), where the provider scores that way (reCAPTCHA v3); else absent. */
  score?: number;
}

/**
 * Port to a captcha provider's server-side check. Resolves with the provider's verdict, whatever
 * it is; rejects with {@link CaptchaUnavailableError} when there is none: the provider was
 * unreachable, timed out, failed, answered something unreadable, or refused our own credentials.
 * Callers tell "token refused" from "provider down" by that, so an adapter must never turn one
 * into the other.
 *
 * Calls must honour `signal` (CAPTCHA_TIMEOUT) and must not retry: a provider accepts a token once.
 */
export interface CaptchaVerifier {
  verify(token: string, remoteIp: string | undefined, signal: AbortSignal): Promise<CaptchaAnswer>;
}

/** Injection token for the configured {@link CaptchaVerifier}. */
export const CaptchaVerifier = Symbol('CaptchaVerifier');

/** The provider gave no verdict on the token; it was never judged. */
export class CaptchaUnavailableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'CaptchaUnavailableError';
  }
}
