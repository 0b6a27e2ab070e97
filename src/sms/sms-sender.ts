import type { Channel } from '../config/delivery.config';
import type { SmsLocale } from './code-message';

export { CHANNELS, type Channel } from '../config/delivery.config';

/** A one-time code on its way to a phone. */
export interface CodeMessage {
  /** E.164 recipient. */
  to: string;
  /** The code; providers that generate their own (Twilio Verify) ignore it. */
  code: string;
  /** The rendered text, in `locale`, with the WebOTP line when configured (SMS and WhatsApp). */
  body: string;
  locale: SmsLocale;
  channel: Channel;
}

/** What the provider said it took: its id for the message, which its delivery receipts name. */
export interface SentMessage {
  messageId?: string;
}

/** A text that carries no code: a notice about the account, e.g. that its number was changed. */
export interface NoticeMessage {
  /** E.164 recipient. */
  to: string;
  /** The rendered text, in `locale`. */
  body: string;
  locale: SmsLocale;
}

/**
 * Port to an SMS provider. Two styles fit it: providers that deliver our text (Twilio Messaging,
 * a webhook, the mock) implement `send` only; providers that make and check their own codes
 * (Twilio Verify) also implement `check`, and the service then asks them instead of comparing
 * hashes. Either way the service keeps every limit, cooldown and attempt cap.
 *
 * Calls must honour `signal` (SMS_TIMEOUT) where they can and must never retry on their own:
 * after a timeout the first attempt may still be delivered, and a retry would text twice.
 */
export interface SmsSender {
  /** The channels this provider can deliver codes on. */
  readonly channels: readonly Channel[];

  /** Resolves once the provider accepted the message; rejects with {@link SmsDeliveryError}. */
  send(message: CodeMessage, signal: AbortSignal): Promise<SentMessage | void>;

  /** Whether `code` is the one this provider sent to `to`; rejects with {@link SmsDeliveryError}. */
  check?(to: string, code: string, signal: AbortSignal): Promise<boolean>;

  /**
   * Texts a notice; absent for providers that only deliver codes of their own (Twilio Verify).
   * Rejects with {@link SmsDeliveryError}.
   */
  notify?(message: NoticeMessage, signal: AbortSignal): Promise<void>;
}

/** Injection token for the configured {@link SmsSender}. */
export const SmsSender = Symbol('SmsSender');

/**
 * Why a provider refused or failed: `invalid_number` and `not_allowed` are the caller's to fix;
 * `channel_refused` is the provider refusing the channel for this number (another may work);
 * `misconfigured` is the operator's (and names the setting); `rate_limited` and `unavailable`
 * pass with time.
 */
export type SmsFailure =
  'invalid_number' | 'not_allowed' | 'channel_refused' | 'misconfigured' | 'rate_limited' | 'unavailable';

export class SmsDeliveryError extends Error {
  constructor(
    message: string,
    readonly reason: SmsFailure = 'unavailable',
    readonly details: { cause?: unknown; retryAfterSeconds?: number; setting?: string } = {},
  ) {
    super(message, { cause: details.cause });
    this.name = 'SmsDeliveryError';
  }
}

/** Any failure of a provider call as an {@link SmsDeliveryError}; an unexpected one counts as `unavailable`. */
export function asDeliveryError(error: unknown): SmsDeliveryError {
  return error instanceof SmsDeliveryError
    ? error
    : new SmsDeliveryError(String(error), 'unavailable', { cause: error });
}

/**
 * Runs a provider call under the SMS_TIMEOUT deadline. Not AbortSignal.timeout(): its timer
 * outlives the call by the whole timeout, so under load thousands of them pile up; this one is
 * cleared as soon as the provider answers.
 */
export async function callWithTimeout<T>(timeoutMs: number, call: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const deadline = new AbortController();
  const timer = setTimeout(() => deadline.abort(new DOMException('SMS_TIMEOUT', 'TimeoutError')), timeoutMs);
  try {
    return await withDeadline(call(deadline.signal), deadline.signal);
  } finally {
    clearTimeout(timer);
  }
}

/** Settles like `call`, or rejects as `unavailable` when `signal` aborts first (SMS_TIMEOUT). */
export function withDeadline<T>(call: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(new SmsDeliveryError('The SMS provider did not answer in time (SMS_TIMEOUT)'));
    // Settling twice is harmless; leaving a late rejection unobserved would crash the process.
    call.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
  });
}
