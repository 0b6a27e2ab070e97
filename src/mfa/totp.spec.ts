import { Secret, TOTP } from 'otpauth';
import { newTotpSecret, totpStep, totpUri } from './totp';

/** RFC 6238 Appendix B's SHA-1 key, "12345678901234567890", in base32. */
const RFC_SECRET = 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ';

describe('TOTP (RFC 6238)', () => {
  // Appendix B's SHA-1 vectors; a 6-digit code is the last 6 digits of the 8-digit one.
  it.each([
    [59, '94287082'],
    [1111111109, '07081804'],
    [1111111111, '14050471'],
    [1234567890, '89005924'],
    [2000000000, '69279037'],
    [20000000000, '65353130'],
  ])('accepts the RFC test vector at T=%i in its own time step', (seconds, eightDigits) => {
    const at = new Date(seconds * 1000);
    expect(totpStep(RFC_SECRET, eightDigits.slice(2), at)).toBe(Math.floor(seconds / 30));
  });

  it('accepts the neighbouring steps (clock drift) and names the step each code belongs to', () => {
    const at = new Date(1_234_567_890_000);
    const step = Math.floor(1_234_567_890 / 30);
    const codeAt = (s: number) => TOTP.generate({ secret: Secret.fromBase32(RFC_SECRET), timestamp: s * 30_000 });
    expect(totpStep(RFC_SECRET, codeAt(step - 1), at)).toBe(step - 1);
    expect(totpStep(RFC_SECRET, codeAt(step + 1), at)).toBe(step + 1);
    expect(totpStep(RFC_SECRET, codeAt(step - 2), at)).toBeUndefined();
    expect(totpStep(RFC_SECRET, codeAt(step + 2), at)).toBeUndefined();
  });

  it('refuses anything but six digits', () => {
    const at = new Date(59_000);
    expect(totpStep(RFC_SECRET, '94287082', at)).toBeUndefined();
    expect(totpStep(RFC_SECRET, '28708', at)).toBeUndefined();
    expect(totpStep(RFC_SECRET, '28708a', at)).toBeUndefined();
  });

  it('makes 160-bit secrets and an otpauth URI that authenticator apps read back to the same secret', () => {
    const secret = newTotpSecret();
    expect(secret).toMatch(/^[A-Z2-7]{32}$/);
    expect(newTotpSecret()).not.toBe(secret);

    const uri = new URL(totpUri(secret, 'Phone OTP Auth', '+12015550123'));
    expect(uri.protocol).toBe('otpauth:');
    expect(uri.host).toBe('totp');
    expect(decodeURIComponent(uri.pathname)).toBe('/Phone OTP Auth:+12015550123');
    expect(Object.fromEntries(uri.searchParams)).toEqual({
      issuer: 'Phone OTP Auth',
      secret,
      algorithm: 'SHA1',
      digits: '6',
      period: '30',
    });
  });
});
