import { captchaConfig, SITEVERIFY_URLS } from './captcha.config';
import { collectEnvErrors, EnvError } from './env';

const SECRET = '0x4AAAAAAAcaptchaSecretFromTheDashboard';

describe('captchaConfig', () => {
  const saved = process.env;

  beforeEach(() => {
    // The namespace sees only what a test sets, never the developer's shell.
    process.env = {};
  });

  afterEach(() => {
    process.env = saved;
  });

  function expectRefusal(variable: string, problem: string | RegExp): void {
    expect(() => captchaConfig()).toThrow(EnvError);
    expect(() => captchaConfig()).toThrow(`Invalid environment variable ${variable}:`);
    expect(() => captchaConfig()).toThrow(problem);
  }

  it('defaults to no provider, on_risk mode, a 5s deadline, a 0.5 minimum score and any hostname', () => {
    expect(captchaConfig()).toEqual({
      provider: 'none',
      mode: 'on_risk',
      timeoutMs: 5_000,
      minScore: 0.5,
      hostnames: [],
    });
  });

  it.each([
    ['turnstile', 'https://challenges.cloudflare.com/turnstile/v0/siteverify'],
    ['hcaptcha', 'https://api.hcaptcha.com/siteverify'],
    ['recaptcha', 'https://www.google.com/recaptcha/api/siteverify'],
  ] as const)('sends %s tokens to its own siteverify endpoint with CAPTCHA_SECRET', (provider, url) => {
    process.env = { CAPTCHA_PROVIDER: provider, CAPTCHA_SECRET: SECRET };

    expect(captchaConfig()).toMatchObject({ provider, siteverify: { url, secret: SECRET } });
    expect(SITEVERIFY_URLS[provider]).toBe(url);
  });

  it('reads the provider and mode in any case', () => {
    process.env = { CAPTCHA_PROVIDER: 'Turnstile', CAPTCHA_SECRET: SECRET, CAPTCHA_MODE: 'ALWAYS' };

    expect(captchaConfig()).toMatchObject({ provider: 'turnstile', mode: 'always' });
  });

  it('sends tokens to CAPTCHA_VERIFY_URL instead when it is set (a proxy, or a fake in tests)', () => {
    process.env = {
      CAPTCHA_PROVIDER: 'hcaptcha',
      CAPTCHA_SECRET: SECRET,
      CAPTCHA_VERIFY_URL: 'http://127.0.0.1:8125/siteverify',
    };

    expect(captchaConfig()).toMatchObject({ siteverify: { url: 'http://127.0.0.1:8125/siteverify' } });
  });

  it('reads the deadline, minimum score and hostnames', () => {
    process.env = {
      CAPTCHA_TIMEOUT: '200ms',
      CAPTCHA_MIN_SCORE: '0.7',
      CAPTCHA_HOSTNAMES: ' Example.com, app.example.com ,',
    };

    expect(captchaConfig()).toMatchObject({
      timeoutMs: 200,
      minScore: 0.7,
      hostnames: ['example.com', 'app.example.com'],
    });
  });

  it.each(['turnstile', 'hcaptcha', 'recaptcha'])(
    'stops the boot of CAPTCHA_PROVIDER=%s without CAPTCHA_SECRET',
    (provider) => {
      process.env = { CAPTCHA_PROVIDER: provider };

      expectRefusal('CAPTCHA_SECRET', `required when CAPTCHA_PROVIDER=${provider}`);
    },
  );

  it('needs no secret without a provider, and keeps none it was given', () => {
    process.env = { CAPTCHA_SECRET: SECRET };

    expect(captchaConfig()).toEqual(expect.not.objectContaining({ siteverify: expect.anything() }));
  });

  it.each<[string, string, string | RegExp]>([
    [
      'CAPTCHA_PROVIDER',
      'recaptcha-enterprise',
      'expected one of none, turnstile, hcaptcha, recaptcha, got "recaptcha-enterprise"',
    ],
    ['CAPTCHA_MODE', 'sometimes', 'expected one of on_risk, always, got "sometimes"'],
    ['CAPTCHA_TIMEOUT', '5', 'expected a positive duration like 90s, 5m, 24h or 7d, got "5"'],
    ['CAPTCHA_TIMEOUT', '0s', 'expected a positive duration'],
    ['CAPTCHA_MIN_SCORE', '1.5', 'expected a number from 0 to 1, got "1.5"'],
    ['CAPTCHA_MIN_SCORE', '-0.1', 'expected a number from 0 to 1'],
    [
      'CAPTCHA_VERIFY_URL',
      'ftp://proxy.internal/siteverify',
      'expected an http(s) URL, got "ftp://proxy.internal/siteverify"',
    ],
    ['CAPTCHA_VERIFY_URL', 'not a url', 'expected an http(s) URL'],
    ['CAPTCHA_HOSTNAMES', 'example.com,https://app.example.com', '"https://app.example.com" is not a host name'],
    ['CAPTCHA_HOSTNAMES', 'example.com:3000', '"example.com:3000" is not a host name'],
  ])('refuses %s=%s, naming it', (variable, value, problem) => {
    process.env = { CAPTCHA_PROVIDER: 'turnstile', CAPTCHA_SECRET: SECRET, [variable]: value };

    expectRefusal(variable, problem);
  });

  it('refuses CAPTCHA_MODE=always without a provider, which would otherwise send codes with no captcha at all', () => {
    process.env = { CAPTCHA_MODE: 'always' };

    expectRefusal('CAPTCHA_MODE', 'always needs CAPTCHA_PROVIDER turnstile, hcaptcha or recaptcha');
  });

  it('checks CAPTCHA_VERIFY_URL even without a provider', () => {
    process.env = { CAPTCHA_VERIFY_URL: 'siteverify' };

    expectRefusal('CAPTCHA_VERIFY_URL', 'expected an http(s) URL');
  });

  describe('in production', () => {
    it.each([
      ['Turnstile', '1x0000000000000000000000000000000AA', 'turnstile'],
      ['Turnstile', '2x0000000000000000000000000000000AA', 'turnstile'],
      ['hCaptcha', '0x0000000000000000000000000000000000000000', 'hcaptcha'],
      ['reCAPTCHA', '6LeIxAcTAAAAAGG-vFI1TnRWxMZNFuojJ4WifJWe', 'recaptcha'],
    ])("refuses %s's published test secret %s, which accepts any token", (_name, secret, provider) => {
      process.env = { NODE_ENV: 'production', CAPTCHA_PROVIDER: provider, CAPTCHA_SECRET: secret };

      expectRefusal('CAPTCHA_SECRET', "is the provider's published test secret");
    });

    it('refuses a placeholder secret, as it does every credential', () => {
      process.env = { NODE_ENV: 'production', CAPTCHA_PROVIDER: 'turnstile', CAPTCHA_SECRET: 'CHANGE_ME' };

      expectRefusal('CAPTCHA_SECRET', 'is a placeholder published in this repository');
    });

    it('accepts a real secret', () => {
      process.env = { NODE_ENV: 'production', CAPTCHA_PROVIDER: 'turnstile', CAPTCHA_SECRET: SECRET };

      expect(captchaConfig()).toMatchObject({ provider: 'turnstile', siteverify: { secret: SECRET } });
    });
  });

  it('development accepts the test secrets, which is what they are for', () => {
    process.env = { CAPTCHA_PROVIDER: 'turnstile', CAPTCHA_SECRET: '1x0000000000000000000000000000000AA' };

    expect(captchaConfig()).toMatchObject({ siteverify: { secret: '1x0000000000000000000000000000000AA' } });
  });

  it('reports every bad captcha variable of one boot at once', () => {
    process.env = { CAPTCHA_PROVIDER: 'recaptcha', CAPTCHA_MIN_SCORE: 'high', CAPTCHA_TIMEOUT: 'soon' };

    expect(() => collectEnvErrors(() => captchaConfig())).toThrow(
      /CAPTCHA_TIMEOUT: .*; CAPTCHA_MIN_SCORE: .*; CAPTCHA_SECRET: required when CAPTCHA_PROVIDER=recaptcha/,
    );
  });
});
