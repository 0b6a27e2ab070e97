import * as crypto from 'node:crypto';
import { generateCode, hashCode, hashesMatch } from './otp-code';

jest.mock('node:crypto', () => {
  const actual = jest.requireActual<typeof import('node:crypto')>('node:crypto');
  return { ...actual, randomInt: jest.fn(actual.randomInt) };
});

const randomInt = crypto.randomInt as unknown as jest.Mock<number, [number, number]>;

describe('generateCode', () => {
  afterEach(() => {
    randomInt.mockClear();
  });

  it.each([4, 5, 6, 7, 8, 9, 10])('gives exactly %d ASCII digits', (length) => {
    for (let i = 0; i < 200; i++) {
      expect(generateCode(length)).toMatch(new RegExp(`^[0-9]{${length}}$`));
    }
  });

  it('draws from crypto.randomInt over the whole range of the length', () => {
    generateCode(6);
    expect(randomInt).toHaveBeenCalledWith(0, 1_000_000);
    generateCode(10);
    expect(randomInt).toHaveBeenLastCalledWith(0, 10_000_000_000);
  });

  it('keeps leading zeros', () => {
    randomInt.mockReturnValueOnce(42).mockReturnValueOnce(0).mockReturnValueOnce(999_999);
    expect(generateCode(6)).toBe('000042');
    expect(generateCode(6)).toBe('000000');
    expect(generateCode(6)).toBe('999999');
  });

  it('produces codes starting with 0 about a tenth of the time', () => {
    const draws = 20_000;
    let leadingZero = 0;
    for (let i = 0; i < draws; i++) if (generateCode(6).startsWith('0')) leadingZero++;
    // Expected 2000, standard deviation ~42: the bound is more than ten deviations wide.
    expect(leadingZero).toBeGreaterThan(1_500);
    expect(leadingZero).toBeLessThan(2_500);
  });

  it('is roughly uniform in every digit position', () => {
    const length = 6;
    const draws = 20_000;
    const counts = Array.from({ length }, () => new Array<number>(10).fill(0));
    for (let i = 0; i < draws; i++) {
      const code = generateCode(length);
      for (let position = 0; position < length; position++) counts[position][Number(code[position])]++;
    }
    const expected = draws / 10;
    for (const perDigit of counts) {
      const chiSquare = perDigit.reduce((sum, observed) => sum + (observed - expected) ** 2 / expected, 0);
      // 9 degrees of freedom: mean 9, and 60 is beyond p = 1e-9, so only real bias fails this.
      expect(chiSquare).toBeLessThan(60);
    }
  });
});

describe('hashCode', () => {
  const hash = hashCode('secret', '+12015550123', '123456');

  it('is the hex HMAC-SHA256 of phone:code keyed by the secret', () => {
    expect(hash).toMatch(/^[0-9a-f]{64}$/);
    expect(hash).toBe(crypto.createHmac('sha256', 'secret').update('+12015550123:123456').digest('hex'));
  });

  it('is deterministic', () => {
    expect(hashCode('secret', '+12015550123', '123456')).toBe(hash);
  });

  it('depends on the secret, the phone number and the code', () => {
    expect(hashCode('other-secret', '+12015550123', '123456')).not.toBe(hash);
    expect(hashCode('secret', '+12015550124', '123456')).not.toBe(hash);
    expect(hashCode('secret', '+12015550123', '123457')).not.toBe(hash);
  });

  it('never contains the code in the clear', () => {
    expect(hash).not.toContain('123456');
  });
});

describe('hashesMatch', () => {
  const hash = hashCode('secret', '+12015550123', '123456');
  const other = hashCode('secret', '+12015550123', '654321');

  it('is true for the same hash, whatever the hex case', () => {
    expect(hashesMatch(hash, hash)).toBe(true);
    expect(hashesMatch(hash, hash.toUpperCase())).toBe(true);
  });

  it('is false for a different hash', () => {
    expect(hashesMatch(hash, other)).toBe(false);
  });

  it('is false, without throwing, for hashes of different lengths', () => {
    expect(hashesMatch(hash, hash.slice(0, 62))).toBe(false);
    expect(hashesMatch(hash, `${hash}00`)).toBe(false);
    expect(hashesMatch(hash, '')).toBe(false);
  });

  it('is false when either side is not hex', () => {
    expect(hashesMatch(hash, 'z'.repeat(64))).toBe(false);
    expect(hashesMatch('z'.repeat(64), hash)).toBe(false);
    expect(hashesMatch(hash, `${hash.slice(0, 63)}z`)).toBe(false);
  });

  it('is false for strings that are not whole hex hashes, even when they decode to the same bytes', () => {
    // Buffer.from(…, 'hex') stops at the first non-hex character: 'zz…' and 'yy…' both decode to
    // nothing, and two hashes differing only after a non-hex character decode to the same prefix.
    expect(hashesMatch('z'.repeat(64), 'y'.repeat(64))).toBe(false);
    expect(hashesMatch(`${hash.slice(0, 62)}zz`, `${hash.slice(0, 62)}yy`)).toBe(false);
    expect(hashesMatch('', '')).toBe(false);
  });
});
