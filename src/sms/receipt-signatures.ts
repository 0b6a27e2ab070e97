import { timingSafeEqual } from 'node:crypto';
import { sign } from './adapters/webhook-sms.adapter';

/** How far a `webhook-timestamp` may be from now, either way, as the Standard Webhooks libraries allow. */
export const WEBHOOK_TOLERANCE_SECONDS = 5 * 60;

/** Longer ids are no one's: ours are `msg_` and a UUID, and each one is kept as a key for a while. */
const MAX_WEBHOOK_ID_LENGTH = 256;

/** The three Standard Webhooks headers, as the request carried them. */
export interface WebhookSignatureHeaders {
  id?: string | string[];
  timestamp?: string | string[];
  signature?: string | string[];
}

export type WebhookSignatureCheck =
  { valid: true; id: string } | { valid: false; reason: 'unsigned' | 'stale' | 'future' | 'mismatch' };

/**
 * Checks a Standard Webhooks signature as our gateway adapter makes one (`sign()`): `v1,<base64
 * HMAC-SHA256 of "id.timestamp.body">` keyed by the secret's UTF-8 bytes, over the body exactly as
 * it arrived. The header may list several space-separated signatures (while a secret is rotated);
 * one `v1` match is enough. A timestamp outside the tolerance is refused even when signed, so a
 * captured request cannot be replayed later; the caller refuses an id seen within the window.
 */
export function checkWebhookSignature(
  secret: string,
  headers: WebhookSignatureHeaders,
  rawBody: string,
  nowMs = Date.now(),
): WebhookSignatureCheck {
  const { id, timestamp, signature } = headers;
  if (typeof id !== 'string' || typeof timestamp !== 'string' || typeof signature !== 'string') {
    return { valid: false, reason: 'unsigned' };
  }
  if (!id || id.length > MAX_WEBHOOK_ID_LENGTH || !/^\d{1,15}$/.test(timestamp)) {
    return { valid: false, reason: 'unsigned' };
  }
  const ageSeconds = nowMs / 1000 - Number(timestamp);
  if (ageSeconds > WEBHOOK_TOLERANCE_SECONDS) return { valid: false, reason: 'stale' };
  if (ageSeconds < -WEBHOOK_TOLERANCE_SECONDS) return { valid: false, reason: 'future' };

  const expected = Buffer.from(sign(secret, `${id}.${timestamp}.${rawBody}`));
  // Constant-time per candidate, so the answer's timing says nothing about how close a forgery came.
  const matches = signature.split(' ').some((entry) => {
    if (!entry.startsWith('v1,')) return false;
    const given = Buffer.from(entry.slice(3));
    return given.length === expected.length && timingSafeEqual(given, expected);
  });
  return matches ? { valid: true, id } : { valid: false, reason: 'mismatch' };
}

/** The Twilio SDK's request validator, loaded with the SDK on the first receipt (see sms.module.ts for why). */
function twilioValidateRequest() {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded on demand, see above
  return (require('twilio') as typeof import('twilio')).validateRequest;
}

/**
 * Checks Twilio's `X-Twilio-Signature` with the official SDK: HMAC-SHA1, keyed by the auth token,
 * of the URL Twilio was given (TWILIO_STATUS_CALLBACK_URL, not the one the request reached us
 * on, which a proxy may have rewritten) followed by every posted field, sorted by name.
 */
export function checkTwilioSignature(
  authToken: string,
  signature: string | string[] | undefined,
  url: string,
  params: Record<string, string | string[]>,
): boolean {
  if (typeof signature !== 'string' || !signature) return false;
  return twilioValidateRequest()(authToken, signature, url, params);
}
