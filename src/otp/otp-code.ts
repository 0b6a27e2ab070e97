import { createHmac, randomInt, timingSafeEqual } from 'node:crypto';

/** A uniformly random code of `length` digits, leading zeros kept. */
export function generateCode(length: number): string {
  // randomInt draws without modulo bias; its upper bound must stay below 2^48, which 10 digits does.
  return randomInt(0, 10 ** length)
    .toString()
    .padStart(length, '0');
}

/**
 * Codes are stored as an HMAC keyed by OTP_SECRET, never as digits: a leaked table cannot be
 * brute-forced offline (a million candidates is nothing for a bare hash) without the key. The
 * phone is part of the message so a hash is only valid for its own number.
 */
export function hashCode(secret: string, phoneNumber: string, code: string): string {
  return createHmac('sha256', secret).update(`${phoneNumber}:${code}`).digest('hex');
}

const SHA256_HEX = /^[0-9a-f]{64}$/i;

/** Constant-time, so response timing reveals nothing about how much of a guess was right. */
export function hashesMatch(expectedHex: string, actualHex: string): boolean {
  if (!SHA256_HEX.test(expectedHex) || !SHA256_HEX.test(actualHex)) return false;
  return timingSafeEqual(Buffer.from(expectedHex, 'hex'), Buffer.from(actualHex, 'hex'));
}
