import { createHmac, randomInt } from 'node:crypto';

const RECOVERY_CODE_COUNT = 10;

/** Crockford's base32 alphabet: no I, L, O or U to misread. */
const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const GROUP = 5;

/** Ten characters of 32 (50 bits), shown as `XXXXX-XXXXX`. */
export function generateRecoveryCodes(count = RECOVERY_CODE_COUNT): string[] {
  return Array.from({ length: count }, () => {
    const characters = Array.from({ length: 2 * GROUP }, () => ALPHABET[randomInt(ALPHABET.length)]).join('');
    return `${characters.slice(0, GROUP)}-${characters.slice(GROUP)}`;
  });
}

/** As typed: any case, with or without the dash or spaces, and the letters people confuse with digits. */
export function normaliseRecoveryCode(code: string): string {
  return code.toUpperCase().replace(/[\s-]/g, '').replace(/[IL]/g, '1').replace(/O/g, '0');
}

/**
 * Stored as an HMAC keyed by OTP_SECRET and bound to the user: 50 bits would not survive an
 * offline search of a bare hash, and a hash copied to another user matches nothing there.
 */
export function hashRecoveryCode(secret: string, userId: number, code: string): string {
  return createHmac('sha256', secret)
    .update(`recovery:${userId}:${normaliseRecoveryCode(code)}`)
    .digest('hex');
}
