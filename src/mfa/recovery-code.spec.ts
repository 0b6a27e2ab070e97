import { generateRecoveryCodes, hashRecoveryCode, normaliseRecoveryCode } from './recovery-code';

describe('recovery codes', () => {
  it('are ten distinct XXXXX-XXXXX codes in an alphabet without I, L, O or U', () => {
    const codes = generateRecoveryCodes();
    expect(codes).toHaveLength(10);
    expect(new Set(codes).size).toBe(10);
    for (const code of codes) expect(code).toMatch(/^[0-9A-HJKMNP-TV-Z]{5}-[0-9A-HJKMNP-TV-Z]{5}$/);
  });

  it('match however they are typed: case, dash, spaces, and letters misread as digits', () => {
    expect(normaliseRecoveryCode(' k7q2m 9xh1d ')).toBe('K7Q2M9XH1D');
    expect(normaliseRecoveryCode('K7Q2M-9XHID')).toBe('K7Q2M9XH1D');
    expect(normaliseRecoveryCode('k7q2m-9xhld')).toBe('K7Q2M9XH1D');
    expect(normaliseRecoveryCode('0O000-00000')).toBe('0000000000');
    expect(hashRecoveryCode('secret', 1, 'k7q2m 9xhid')).toBe(hashRecoveryCode('secret', 1, 'K7Q2M-9XH1D'));
  });

  it('hash under the key and bound to the user', () => {
    const hash = hashRecoveryCode('secret', 1, 'K7Q2M-9XH1D');
    expect(hash).toMatch(/^[0-9a-f]{64}$/);
    expect(hashRecoveryCode('secret', 2, 'K7Q2M-9XH1D')).not.toBe(hash);
    expect(hashRecoveryCode('other secret', 1, 'K7Q2M-9XH1D')).not.toBe(hash);
  });
});
