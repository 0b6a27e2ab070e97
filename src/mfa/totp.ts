import { Secret, TOTP } from 'otpauth';

/** RFC 6238 as every authenticator app reads it: SHA-1, 6 digits, 30-second steps. */
const PERIOD_SECONDS = 30;
const DIGITS = 6;
/** NIST SP 800-63B §5.1.4.1: accept the neighbouring step on either side, for clock drift. */
const WINDOW = 1;

export const TOTP_CODE = /^[0-9]{6}$/;

/** A new shared secret (160 bits, RFC 4226 §4's recommendation), base32 as apps take it. */
export function newTotpSecret(): string {
  return new Secret({ size: 20 }).base32;
}

/** The `otpauth://` URI an authenticator app scans from a QR code. */
export function totpUri(secret: string, issuer: string, account: string): string {
  return totpOf(secret, issuer, account).toString();
}

/**
 * The time step the code belongs to, if it is the code of the step at `at` or a neighbouring
 * one; undefined otherwise. Comparing the step with the last one used is what refuses replays.
 */
export function totpStep(secret: string, code: string, at: Date): number | undefined {
  if (!TOTP_CODE.test(code)) return undefined;
  const timestamp = at.getTime();
  const delta = totpOf(secret).validate({ token: code, timestamp, window: WINDOW });
  return delta === null ? undefined : Math.floor(timestamp / 1000 / PERIOD_SECONDS) + delta;
}

function totpOf(secret: string, issuer = '', label = ''): TOTP {
  return new TOTP({
    issuer,
    label,
    secret: Secret.fromBase32(secret),
    algorithm: 'SHA1',
    digits: DIGITS,
    period: PERIOD_SECONDS,
  });
}
