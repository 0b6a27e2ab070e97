import type { SiteverifyProvider } from '../config/captcha.config';
import { CaptchaUnavailableError, type CaptchaAnswer, type CaptchaVerifier } from './captcha-verifier';

export interface SiteverifyOptions {
  provider: SiteverifyProvider;
  url: string;
  secret: string;
}

/**
 * Codes that say the provider judged our request, not the token: a wrong CAPTCHA_SECRET (or one
 * for another provider) must not read as every visitor failing the captcha.
 */
const NOT_JUDGED = new Set([
  'missing-input-secret',
  'invalid-input-secret',
  'sitekey-secret-mismatch',
  'internal-error',
]);

/**
 * Turnstile, hCaptcha and reCAPTCHA share one protocol: a form POST of `secret`, `response` and
 * `remoteip` to their siteverify URL, answered with `{success, error-codes, hostname, score?}`.
 */
export class SiteverifyCaptchaVerifier implements CaptchaVerifier {
  constructor(private readonly options: SiteverifyOptions) {}

  async verify(token: string, remoteIp: string | undefined, signal: AbortSignal): Promise<CaptchaAnswer> {
    const form = new URLSearchParams({ secret: this.options.secret, response: token });
    if (remoteIp) form.set('remoteip', remoteIp);
    let response: Response;
    let text: string;
    try {
      response = await fetch(this.options.url, {
        method: 'POST',
        headers: { accept: 'application/json' },
        body: form,
        signal,
        redirect: 'error',
      });
      text = await response.text();
    } catch (error) {
      const problem = signal.aborted ? 'did not answer within CAPTCHA_TIMEOUT' : 'could not be reached';
      throw new CaptchaUnavailableError(`The captcha provider ${problem}`, { cause: error });
    }
    if (!response.ok) throw new CaptchaUnavailableError(`The captcha provider answered ${response.status}`);
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch (error) {
      throw new CaptchaUnavailableError('The captcha provider answered something other than JSON', { cause: error });
    }
    return this.answer(body);
  }

  private answer(body: unknown): CaptchaAnswer {
    if (typeof body !== 'object' || body === null || typeof (body as { success?: unknown }).success !== 'boolean') {
      throw new CaptchaUnavailableError('The captcha provider answered something other than a siteverify result');
    }
    const { success, hostname, score, 'error-codes': codes } = body as Record<string, unknown>;
    const errorCodes = Array.isArray(codes) ? codes.filter((code): code is string => typeof code === 'string') : [];
    const ours = errorCodes.filter((code) => NOT_JUDGED.has(code));
    if (!success && ours.length) {
      throw new CaptchaUnavailableError(
        `The captcha provider refused our request (${ours.join(', ')}): check CAPTCHA_SECRET and CAPTCHA_PROVIDER`,
      );
    }
    return {
      success: success as boolean,
      errorCodes,
      hostname: typeof hostname === 'string' && hostname ? hostname : undefined,
      // hCaptcha Enterprise scores the other way (1 = a bot), so only reCAPTCHA's score is one to hold against CAPTCHA_MIN_SCORE.
      score: this.options.provider === 'recaptcha' && typeof score === 'number' ? score : undefined,
    };
  }
}
