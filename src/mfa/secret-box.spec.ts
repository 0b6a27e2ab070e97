import type { ConfigType } from '@nestjs/config';
import type { mfaConfig } from '../config';
import { SecretBox } from './secret-box';

const OLD_KEY = 'an-old-key-of-at-least-thirty-two-bytes-000';
const NEW_KEY = 'a-new-key-of-at-least-thirty-two-bytes-1111';

const box = (encryptionKey: string, previousEncryptionKey?: string) =>
  new SecretBox({ encryptionKey, previousEncryptionKey } as ConfigType<typeof mfaConfig>);

describe('SecretBox', () => {
  it('opens what it sealed, and the sealed value shows nothing of the plaintext', () => {
    const sealed = box(NEW_KEY).seal('JBSWY3DPEHPK3PXP', 'totp:1');
    expect(sealed).not.toContain('JBSWY3DPEHPK3PXP');
    expect(sealed).toMatch(/^v1\.[0-9a-f]{8}\.[\w-]+\.[\w-]+$/);
    expect(box(NEW_KEY).open(sealed, 'totp:1')).toBe('JBSWY3DPEHPK3PXP');
  });

  it('seals the same plaintext differently each time (a fresh IV)', () => {
    expect(box(NEW_KEY).seal('JBSWY3DPEHPK3PXP', 'totp:1')).not.toBe(box(NEW_KEY).seal('JBSWY3DPEHPK3PXP', 'totp:1'));
  });

  it("refuses a value moved to another user's row", () => {
    const sealed = box(NEW_KEY).seal('JBSWY3DPEHPK3PXP', 'totp:1');
    expect(() => box(NEW_KEY).open(sealed, 'totp:2')).toThrow();
  });

  it('refuses a tampered value', () => {
    const sealed = box(NEW_KEY).seal('JBSWY3DPEHPK3PXP', 'totp:1');
    const [version, key, iv, body] = sealed.split('.');
    const flipped = Buffer.from(body, 'base64url');
    flipped[0] ^= 1;
    expect(() => box(NEW_KEY).open([version, key, iv, flipped.toString('base64url')].join('.'), 'totp:1')).toThrow();
  });

  it('opens values sealed under the previous key during a rotation, and seals only under the new one', () => {
    const old = box(OLD_KEY).seal('JBSWY3DPEHPK3PXP', 'totp:1');
    const rotating = box(NEW_KEY, OLD_KEY);
    expect(rotating.rotating).toBe(true);
    expect(rotating.open(old, 'totp:1')).toBe('JBSWY3DPEHPK3PXP');
    expect(old.startsWith(rotating.currentPrefix)).toBe(false);
    expect(rotating.seal('JBSWY3DPEHPK3PXP', 'totp:1').startsWith(rotating.currentPrefix)).toBe(true);
  });

  it('cannot open a value sealed under a key it does not have', () => {
    const old = box(OLD_KEY).seal('JBSWY3DPEHPK3PXP', 'totp:1');
    expect(box(NEW_KEY).rotating).toBe(false);
    expect(() => box(NEW_KEY).open(old, 'totp:1')).toThrow('unknown key');
  });
});
