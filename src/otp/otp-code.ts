import type { Channel } from '../config/delivery.config';
import {
  createCipheriv,
  createDecipheriv,
  createHmac,
  hkdfSync,
  randomBytes,
  randomInt,
  timingSafeEqual,
} from 'node:crypto';

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

/** What a sealed code is bound to: its code and the channel it first went out on. */
export function sealContext(codeId: number, channel: Channel): string {
  return `${codeId}:${channel}`;
}

const sealKey = (secret: string) => Buffer.from(hkdfSync('sha256', secret, '', 'otp-code-fallback', 32));

/**
 * A code kept for its one fallback (a receipt saying it did not arrive), sealed with AES-256-GCM
 * under a key derived from OTP_SECRET and bound to its delivery (`context`): the table alone gives
 * no code away, and it is wiped once the fallback is sent or its window ends.
 */
export function sealCode(secret: string, code: string, context: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', sealKey(secret), iv).setAAD(Buffer.from(context));
  const body = Buffer.concat([cipher.update(code, 'utf8'), cipher.final(), cipher.getAuthTag()]);
  return `${iv.toString('base64url')}.${body.toString('base64url')}`;
}

/** The sealed code; throws when it was tampered with, moved to another delivery or sealed under another key. */
export function openCode(secret: string, sealed: string, context: string): string {
  const [iv = '', body = ''] = sealed.split('.');
  const bytes = Buffer.from(body, 'base64url');
  const decipher = createDecipheriv('aes-256-gcm', sealKey(secret), Buffer.from(iv, 'base64url'));
  decipher.setAAD(Buffer.from(context)).setAuthTag(bytes.subarray(-16));
  return Buffer.concat([decipher.update(bytes.subarray(0, -16)), decipher.final()]).toString('utf8');
}
