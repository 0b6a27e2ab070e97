import { adminConfig, hashAdminToken } from './admin.config';
import { EnvError } from './env';

const STRONG = 'q7Vh2kP9xLm4Rt8Zc1Nw6Bf3Yd5Gs0Ja';
const ANOTHER = 'Wm3Qz8Lr5Tc1Xv7Kp2Hn9Dj4Fb6Gs0Ya';

describe('adminConfig', () => {
  const saved = process.env;

  beforeEach(() => {
    process.env = {};
  });

  afterEach(() => {
    process.env = saved;
  });

  function expectRefusal(variable: string, problem: string | RegExp): void {
    expect(() => adminConfig()).toThrow(EnvError);
    expect(() => adminConfig()).toThrow(`Invalid environment variable ${variable}:`);
    expect(() => adminConfig()).toThrow(problem);
  }

  it('has no admin token, no prices, USD and a 90-day audit retention by default', () => {
    expect(adminConfig()).toEqual({
      tokens: [],
      smsPrices: { byCountry: new Map(), otherwise: undefined },
      currency: 'USD',
      auditRetentionMs: 90 * 24 * 3_600_000,
    });
  });

  it('keeps each named token only as its SHA-256 hash', () => {
    process.env = { ADMIN_API_TOKENS: `ops:${STRONG}, ci-bot:${ANOTHER}` };
    const { tokens } = adminConfig();
    expect(tokens).toEqual([
      { name: 'ops', hash: hashAdminToken(STRONG) },
      { name: 'ci-bot', hash: hashAdminToken(ANOTHER) },
    ]);
    expect(JSON.stringify(tokens)).not.toContain(STRONG);
  });

  it('takes a token containing colons whole, after its name', () => {
    process.env = { ADMIN_API_TOKENS: 'ops:a:b:c' };
    expect(adminConfig().tokens).toEqual([{ name: 'ops', hash: hashAdminToken('a:b:c') }]);
  });

  it.each([['no-name-here'], [':token'], ['ops:'], ['bad name:token']])('refuses the entry %s', (entry) => {
    process.env = { ADMIN_API_TOKENS: entry };
    expectRefusal('ADMIN_API_TOKENS', 'expected NAME:TOKEN entries');
  });

  it('refuses a name used twice, which would make the audit trail ambiguous', () => {
    process.env = { ADMIN_API_TOKENS: `ops:${STRONG},ops:${ANOTHER}` };
    expectRefusal('ADMIN_API_TOKENS', 'the name "ops" is used twice');
  });

  it.each([
    ['short', 'must be at least 32 bytes'],
    ['change-me-change-me-change-me-change-me', 'placeholder'],
    ['ab'.repeat(20), 'too predictable'],
  ])('refuses the weak token %s in production', (token, problem) => {
    process.env = { NODE_ENV: 'production', ADMIN_API_TOKENS: `ops:${token}` };
    expectRefusal('ADMIN_API_TOKENS', problem);
  });

  it('accepts a short token outside production', () => {
    process.env = { ADMIN_API_TOKENS: 'dev:short' };
    expect(adminConfig().tokens).toHaveLength(1);
  });

  it('reads prices by country and for every other country', () => {
    process.env = { SMS_PRICES: 'US:0.0079, gb:0.04,*:0.05', SMS_PRICE_CURRENCY: 'EUR' };
    const { smsPrices, currency } = adminConfig();
    expect(smsPrices).toEqual({
      byCountry: new Map([
        ['US', 0.0079],
        ['GB', 0.04],
      ]),
      otherwise: 0.05,
    });
    expect(currency).toBe('EUR');
  });

  it.each([['US:-1'], ['US:abc'], ['US'], ['XX:0.01']])('refuses the price entry %s', (entry) => {
    process.env = { SMS_PRICES: entry };
    expect(() => adminConfig()).toThrow(EnvError);
    expect(() => adminConfig()).toThrow('Invalid environment variable SMS_PRICES:');
  });
});
