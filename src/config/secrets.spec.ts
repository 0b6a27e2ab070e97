import { randomBytes } from 'node:crypto';
import { DEVELOPMENT_SECRETS, isLowEntropySecret, isPlaceholderSecret } from './secrets';

describe('secret rules', () => {
  describe('isPlaceholderSecret', () => {
    it.each([
      DEVELOPMENT_SECRETS.JWT_SECRET,
      DEVELOPMENT_SECRETS.OTP_SECRET,
      'CHANGE_ME',
      'change-me',
      'changeme',
      'Change Me',
      `CHANGE_ME_${'x'.repeat(40)}`,
      '…',
      '...',
      '***',
    ])('counts %j as a placeholder', (value) => {
      expect(isPlaceholderSecret(value)).toBe(true);
    });

    it('does not count a random key as one', () => {
      expect(isPlaceholderSecret(randomBytes(32).toString('base64'))).toBe(false);
    });
  });

  describe('isLowEntropySecret', () => {
    it.each([
      ['one character repeated', 'a'.repeat(64)],
      ['two characters alternating', 'ab'.repeat(32)],
      ['ten digits repeated, the last copy cut short', '0123456789'.repeat(4) + '0123'],
      ['a word repeated', 'Tr0ub4dor&3!'.repeat(3)],
      ['a word twice', 'correct-horse-battery!correct-horse-battery!'],
      ['nine different characters', 'abcdefghi'.repeat(3) + 'ihgfedcba'],
      ['nine different two-byte characters', 'àáâãäåæçè'.repeat(3) + 'èçæåäãâáà'],
    ])('refuses %s', (_what, value) => {
      expect(isLowEntropySecret(value)).toBe(true);
    });

    it.each([
      ['ten different characters, no repeat', 'a1b2c3d4e5f6g7h8i9j0' + 'jihgfedcba'],
      ['a repeat that covers less than half', 'abcdefghijklmnopqrstuvwxyz' + 'abcdef'],
    ])('accepts %s', (_what, value) => {
      expect(isLowEntropySecret(value)).toBe(false);
    });

    it.each(['hex', 'base64', 'base64url'] as const)('accepts 1000 random 32-byte keys in %s', (encoding) => {
      for (let i = 0; i < 1000; i++) expect(isLowEntropySecret(randomBytes(32).toString(encoding))).toBe(false);
    });
  });
});
