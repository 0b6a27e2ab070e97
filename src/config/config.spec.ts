import {
  appConfig,
  ConfigError,
  configNamespaces,
  databaseConfig,
  jwtConfig,
  loadConfig,
  otpConfig,
  phoneConfig,
  sessionConfig,
  smsConfig,
  throttleConfig,
} from '.';
import { parseDatabaseUrl } from './database.config';
import { EnvError, isProduction } from './env';

const STRONG_SECRET = 'a'.repeat(32);

describe('config namespaces', () => {
  const saved = process.env;

  beforeEach(() => {
    // The namespaces see only what a test sets, never the developer's shell.
    process.env = {};
  });

  afterEach(() => {
    process.env = saved;
  });

  function expectEnvError(load: () => unknown, variable: string): void {
    expect(load).toThrow(EnvError);
    expect(load).toThrow(`Invalid environment variable ${variable}:`);
  }

  /** Runs `load` and returns the ConfigError it threw, failing the test if it threw anything else. */
  function configErrorFrom(load: () => unknown): ConfigError {
    try {
      load();
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      return error as ConfigError;
    }
    throw new Error('expected a ConfigError');
  }

  describe('defaults (DESIGN §6)', () => {
    it('app: port 3000 on 0.0.0.0, not production, no proxy trust, 16kb bodies, info logs', () => {
      expect(appConfig()).toMatchObject({
        production: false,
        port: 3000,
        host: '0.0.0.0',
        trustProxy: false,
        bodyLimit: 16 * 1024,
        logLevel: 'info',
      });
    });

    it('database: the SQLite file under data/ with migrations run at boot', () => {
      expect(databaseConfig()).toMatchObject({
        target: { type: 'sqlite', database: 'data/otp-auth.sqlite' },
        migrationsRun: true,
      });
    });

    it('jwt: a development secret, 15m access, 7d refresh, otp-auth issuer and audience', () => {
      const config = jwtConfig();
      expect(config).toMatchObject({
        secret: expect.any(String),
        accessTtlMs: 15 * 60_000,
        refreshTtlMs: 7 * 86_400_000,
        issuer: 'otp-auth',
        audience: 'otp-auth',
      });
      expect(config.secret).not.toBe('');
    });

    it('otp: a development secret, 6 digits, 5m lifetime, 5 attempts', () => {
      const config = otpConfig();
      expect(config).toMatchObject({ secret: expect.any(String), codeLength: 6, ttlMs: 300_000, maxAttempts: 5 });
      expect(config.secret).not.toBe(jwtConfig().secret);
    });

    it('phone: no default region', () => {
      expect(phoneConfig().defaultRegion).toBeUndefined();
    });

    it('sms: the mock provider failing 5% of sends into data/sms-outbox.jsonl', () => {
      expect(smsConfig()).toMatchObject({
        provider: 'mock',
        appName: expect.any(String),
        mock: { failureRate: 0.05, outbox: 'data/sms-outbox.jsonl' },
      });
    });

    it('sms: SMS_MOCK_OUTBOX set but empty means no outbox', () => {
      process.env.SMS_MOCK_OUTBOX = '';
      expect(smsConfig()).toMatchObject({ provider: 'mock', mock: { outbox: undefined } });
    });

    it('throttle: 120 per 60s overall, 20 sends per IP per hour, 30 verifies per IP per 5m', () => {
      expect(throttleConfig()).toMatchObject({
        limit: 120,
        ttlMs: 60_000,
        otpIpSendLimit: 20,
        otpIpSendWindowMs: 3_600_000,
        otpIpVerifyLimit: 30,
        otpIpVerifyWindowMs: 300_000,
      });
    });
    it('session: a 10s refresh reuse grace and a 30d maximum session age', () => {
      expect(sessionConfig()).toMatchObject({ reuseGraceMs: 10_000, maxAgeMs: 30 * 86_400_000 });
    });

    it('session: REFRESH_REUSE_GRACE=0s turns the grace window off, SESSION_MAX_AGE=0s is refused', () => {
      process.env.REFRESH_REUSE_GRACE = '0s';
      expect(sessionConfig().reuseGraceMs).toBe(0);
      process.env.SESSION_MAX_AGE = '0s';
      expectEnvError(() => sessionConfig(), 'SESSION_MAX_AGE');
    });
  });

  describe('overrides', () => {
    it('reads every JWT and OTP variable', () => {
      Object.assign(process.env, {
        JWT_SECRET: 'jwt-secret',
        JWT_ACCESS_TTL: '30s',
        JWT_REFRESH_TTL: '1h',
        JWT_ISSUER: 'issuer',
        JWT_AUDIENCE: 'audience',
        OTP_SECRET: 'otp-secret',
        OTP_CODE_LENGTH: '4',
        OTP_TTL: '90s',
        OTP_MAX_ATTEMPTS: '3',
      });
      expect(jwtConfig()).toMatchObject({
        secret: 'jwt-secret',
        accessTtlMs: 30_000,
        refreshTtlMs: 3_600_000,
        issuer: 'issuer',
        audience: 'audience',
      });
      expect(otpConfig()).toMatchObject({ secret: 'otp-secret', codeLength: 4, ttlMs: 90_000, maxAttempts: 3 });
    });

    it.each([
      ['OTP_CODE_LENGTH', '3'],
      ['OTP_CODE_LENGTH', '11'],
      ['OTP_TTL', '0s'],
      ['OTP_MAX_ATTEMPTS', '0'],
    ])('otp refuses %s=%s', (variable, value) => {
      process.env[variable] = value;
      expectEnvError(() => otpConfig(), variable);
    });

    it.each([
      ['JWT_ACCESS_TTL', '0s'],
      ['JWT_REFRESH_TTL', '7 days'],
    ])('jwt refuses %s=%s', (variable, value) => {
      process.env[variable] = value;
      expectEnvError(() => jwtConfig(), variable);
    });
  });

  describe('production secrets', () => {
    beforeEach(() => {
      process.env.NODE_ENV = 'production';
      process.env.SMS_PROVIDER = 'twilio';
    });

    it.each([
      ['JWT_SECRET', () => jwtConfig()],
      ['OTP_SECRET', () => otpConfig()],
    ])('%s unset (the development value) stops the boot, naming it', (variable, load) => {
      expectEnvError(load, variable);
    });

    it.each([
      ['JWT_SECRET', () => jwtConfig()],
      ['OTP_SECRET', () => otpConfig()],
    ])('%s set to the development value explicitly is still refused', (variable, load) => {
      delete process.env.NODE_ENV;
      const developmentValue = (load() as { secret: string }).secret;
      process.env.NODE_ENV = 'production';
      process.env[variable] = developmentValue;
      expectEnvError(load, variable);
    });

    it.each([
      ['JWT_SECRET', () => jwtConfig()],
      ['OTP_SECRET', () => otpConfig()],
    ])('%s shorter than 32 bytes is refused, naming it', (variable, load) => {
      process.env[variable] = 'a'.repeat(31);
      expectEnvError(load, variable);
      expect(load).toThrow('at least 32 bytes');
    });

    it.each([
      ['JWT_SECRET', () => jwtConfig()],
      ['OTP_SECRET', () => otpConfig()],
    ])('%s of exactly 32 bytes is accepted', (variable, load) => {
      process.env[variable] = STRONG_SECRET;
      expect((load() as { secret: string }).secret).toBe(STRONG_SECRET);
    });

    it('counts bytes, not characters: 16 two-byte characters are 32 bytes', () => {
      process.env.JWT_SECRET = 'é'.repeat(16);
      expect(jwtConfig().secret).toBe('é'.repeat(16));
      process.env.JWT_SECRET = 'é'.repeat(15);
      expectEnvError(() => jwtConfig(), 'JWT_SECRET');
    });

    it('development accepts a short secret', () => {
      process.env.NODE_ENV = 'development';
      process.env.JWT_SECRET = 'short';
      expect(jwtConfig().secret).toBe('short');
    });
  });

  describe('sms', () => {
    const ACCOUNT_SID = 'AC' + '1'.repeat(32);
    const TWILIO = { TWILIO_ACCOUNT_SID: ACCOUNT_SID, TWILIO_AUTH_TOKEN: 'c'.repeat(32) };
    const COMPLETE: Record<string, Record<string, string>> = {
      twilio: { SMS_PROVIDER: 'twilio', ...TWILIO, TWILIO_FROM: '+12015550199' },
      'twilio-verify': { SMS_PROVIDER: 'twilio-verify', ...TWILIO, TWILIO_VERIFY_SERVICE_SID: 'VA' + '0'.repeat(32) },
      webhook: {
        SMS_PROVIDER: 'webhook',
        SMS_WEBHOOK_URL: 'https://gateway.example.com/sms',
        SMS_WEBHOOK_SECRET: 'secret',
      },
    };

    it('refuses the mock provider in production, naming SMS_PROVIDER', () => {
      process.env.NODE_ENV = 'production';
      expectEnvError(() => smsConfig(), 'SMS_PROVIDER');
      process.env.SMS_PROVIDER = 'MOCK';
      expectEnvError(() => smsConfig(), 'SMS_PROVIDER');
    });

    it('allows the mock provider outside production', () => {
      process.env.NODE_ENV = 'test';
      expect(smsConfig().provider).toBe('mock');
    });

    it('refuses an unknown provider, naming SMS_PROVIDER and the value', () => {
      process.env.SMS_PROVIDER = 'carrier-pigeon';
      expectEnvError(() => smsConfig(), 'SMS_PROVIDER');
      expect(() => smsConfig()).toThrow(/SMS_PROVIDER.*carrier-pigeon/);
    });

    it('refuses a failure rate above 1, naming SMS_MOCK_FAILURE_RATE', () => {
      process.env.SMS_MOCK_FAILURE_RATE = '1.5';
      expectEnvError(() => smsConfig(), 'SMS_MOCK_FAILURE_RATE');
    });

    it('has no WebOTP line, only the mock settings, and a 10s SMS_TIMEOUT by default', () => {
      const config = smsConfig();
      expect(config).toMatchObject({ timeoutMs: 10_000, webOtpDomain: undefined });
      expect(config).not.toHaveProperty('twilio');
      expect(config).not.toHaveProperty('webhook');
    });

    it.each([
      ['example.com', 'example.com'],
      ['Login.Example.CO.uk', 'login.example.co.uk'],
      ['xn--bcher-kva.example', 'xn--bcher-kva.example'],
    ])('accepts SMS_WEBOTP_DOMAIN=%s as %s', (value, domain) => {
      process.env.SMS_WEBOTP_DOMAIN = value;
      expect(smsConfig().webOtpDomain).toBe(domain);
    });

    it.each([
      'https://example.com',
      '@example.com',
      'example.com/otp',
      'example.com:443',
      'example',
      'exa mple.com',
      '-example.com',
      'example.com.',
      'example..com',
      'example.com #123456',
    ])('refuses SMS_WEBOTP_DOMAIN=%j, naming it', (value) => {
      process.env.SMS_WEBOTP_DOMAIN = value;
      expectEnvError(() => smsConfig(), 'SMS_WEBOTP_DOMAIN');
    });

    it.each(['https://gateway.example.com/sms', 'http://127.0.0.1:8080/hooks/sms?tenant=1'])(
      'accepts SMS_WEBHOOK_URL=%s',
      (url) => {
        Object.assign(process.env, COMPLETE.webhook, { SMS_WEBHOOK_URL: url });
        expect(smsConfig()).toMatchObject({ provider: 'webhook', webhook: { url } });
      },
    );

    it.each([
      'gateway.example.com/sms',
      'ftp://gateway.example.com/sms',
      'javascript:alert(1)',
      'https://',
      'https://gate way.example.com/sms',
      'http://[::1/sms',
    ])('refuses SMS_WEBHOOK_URL=%j, naming it, whichever provider is chosen', (url) => {
      process.env.SMS_WEBHOOK_URL = url;
      expectEnvError(() => smsConfig(), 'SMS_WEBHOOK_URL');
      Object.assign(process.env, COMPLETE.webhook, { SMS_WEBHOOK_URL: url });
      expectEnvError(() => smsConfig(), 'SMS_WEBHOOK_URL');
    });

    it('refuses a TWILIO_API_BASE_URL that is not an http(s) URL, naming it', () => {
      process.env.TWILIO_API_BASE_URL = 'api.twilio.test';
      expectEnvError(() => smsConfig(), 'TWILIO_API_BASE_URL');
    });

    it.each(['0s', 'soon'])('refuses SMS_TIMEOUT=%s, naming it', (value) => {
      process.env.SMS_TIMEOUT = value;
      expectEnvError(() => smsConfig(), 'SMS_TIMEOUT');
    });

    describe('each provider gets exactly its own settings, complete', () => {
      it('twilio: the account and TWILIO_FROM as the sender', () => {
        Object.assign(process.env, COMPLETE.twilio, { TWILIO_API_BASE_URL: 'http://127.0.0.1:4010' });
        expect(smsConfig()).toEqual({
          appName: 'Phone OTP Auth',
          timeoutMs: 10_000,
          webOtpDomain: undefined,
          provider: 'twilio',
          twilio: {
            accountSid: ACCOUNT_SID,
            authToken: 'c'.repeat(32),
            apiBaseUrl: 'http://127.0.0.1:4010',
            sender: { from: '+12015550199' },
          },
        });
      });

      it('twilio: a Messaging Service SID wins over TWILIO_FROM, and needs no TWILIO_FROM', () => {
        const messagingServiceSid = 'MG' + '0'.repeat(32);
        Object.assign(process.env, COMPLETE.twilio, { TWILIO_MESSAGING_SERVICE_SID: messagingServiceSid });
        expect(smsConfig()).toMatchObject({ twilio: { sender: { messagingServiceSid } } });
        delete process.env.TWILIO_FROM;
        expect(smsConfig()).toMatchObject({ twilio: { sender: { messagingServiceSid } } });
      });

      it('twilio-verify: the account and the Verify service, no TWILIO_FROM needed', () => {
        Object.assign(process.env, COMPLETE['twilio-verify']);
        expect(smsConfig()).toMatchObject({
          provider: 'twilio-verify',
          twilio: { accountSid: ACCOUNT_SID, verifyServiceSid: 'VA' + '0'.repeat(32) },
        });
        expect(smsConfig()).not.toHaveProperty('twilio.sender');
      });

      it('webhook: the URL and the signing secret', () => {
        Object.assign(process.env, COMPLETE.webhook);
        expect(smsConfig()).toMatchObject({
          provider: 'webhook',
          webhook: { url: 'https://gateway.example.com/sms', secret: 'secret' },
        });
        expect(smsConfig()).not.toHaveProperty('twilio');
      });
    });

    it.each([
      ['twilio', 'TWILIO_ACCOUNT_SID'],
      ['twilio', 'TWILIO_AUTH_TOKEN'],
      ['twilio-verify', 'TWILIO_ACCOUNT_SID'],
      ['twilio-verify', 'TWILIO_AUTH_TOKEN'],
      ['twilio-verify', 'TWILIO_VERIFY_SERVICE_SID'],
      ['webhook', 'SMS_WEBHOOK_URL'],
      ['webhook', 'SMS_WEBHOOK_SECRET'],
    ])('stops the boot of SMS_PROVIDER=%s without %s, naming it', (provider, variable) => {
      Object.assign(process.env, COMPLETE[provider]);
      delete process.env[variable];
      const load = () => smsConfig();

      expect(load).toThrow(EnvError);
      expect(load).toThrow(`Invalid environment variable ${variable}: required when SMS_PROVIDER=${provider}`);
    });

    it('stops the boot of SMS_PROVIDER=twilio with neither TWILIO_FROM nor TWILIO_MESSAGING_SERVICE_SID, naming both', () => {
      Object.assign(process.env, COMPLETE.twilio);
      delete process.env.TWILIO_FROM;
      expectEnvError(() => smsConfig(), 'TWILIO_FROM');
      expect(() => smsConfig()).toThrow(/TWILIO_FROM.*TWILIO_MESSAGING_SERVICE_SID/);
    });

    it('stops the boot with an account SID that is not one (an API key SK…), naming TWILIO_ACCOUNT_SID', () => {
      Object.assign(process.env, COMPLETE.twilio, { TWILIO_ACCOUNT_SID: 'SK' + '0'.repeat(32) });
      expectEnvError(() => smsConfig(), 'TWILIO_ACCOUNT_SID');
      expect(() => smsConfig()).toThrow('AC followed by 32 hex digits');
    });

    it('reports every missing setting of the chosen provider at once under loadConfig', () => {
      process.env.SMS_PROVIDER = 'twilio';
      const error = configErrorFrom(loadConfig);
      expect(error.errors.map((e) => e.variable)).toEqual(['TWILIO_ACCOUNT_SID', 'TWILIO_AUTH_TOKEN', 'TWILIO_FROM']);
    });

    describe('a production boot with SMS_PROVIDER=twilio', () => {
      beforeEach(() => {
        Object.assign(process.env, COMPLETE.twilio, {
          NODE_ENV: 'production',
          JWT_SECRET: STRONG_SECRET,
          OTP_SECRET: 'b'.repeat(32),
        });
      });

      it('passes every config namespace when the settings are complete', () => {
        for (const load of configNamespaces) expect(load).not.toThrow();
        expect(loadConfig().sms).toMatchObject({
          provider: 'twilio',
          twilio: { accountSid: ACCOUNT_SID, authToken: 'c'.repeat(32), sender: { from: '+12015550199' } },
        });
      });

      it.each(['TWILIO_ACCOUNT_SID', 'TWILIO_AUTH_TOKEN', 'TWILIO_FROM'])(
        'stops at the SMS namespace without %s, naming it',
        (variable) => {
          delete process.env[variable];
          expectEnvError(() => smsConfig(), variable);
        },
      );
    });
  });

  describe('database', () => {
    it.each([
      ['sqlite:data/app.sqlite', { type: 'sqlite', database: 'data/app.sqlite' }],
      ['sqlite:/var/lib/otp/app.sqlite', { type: 'sqlite', database: '/var/lib/otp/app.sqlite' }],
      ['sqlite::memory:', { type: 'sqlite', database: ':memory:' }],
      ['postgres://user:pw@db:5432/otp', { type: 'postgres', url: 'postgres://user:pw@db:5432/otp' }],
      ['postgresql://db/otp', { type: 'postgres', url: 'postgresql://db/otp' }],
    ])('parses DATABASE_URL=%s', (url, target) => {
      process.env.DATABASE_URL = url;
      expect(databaseConfig().target).toEqual(target);
      expect(parseDatabaseUrl(url)).toEqual(target);
    });

    it.each(['mysql://x', 'sqlite:', 'postgres:/db', 'data/app.sqlite'])(
      'refuses DATABASE_URL=%s, naming it',
      (url) => {
        process.env.DATABASE_URL = url;
        expectEnvError(() => databaseConfig(), 'DATABASE_URL');
      },
    );

    it('reads DATABASE_MIGRATIONS_RUN=false', () => {
      process.env.DATABASE_MIGRATIONS_RUN = 'false';
      expect(databaseConfig().migrationsRun).toBe(false);
    });
  });

  describe('app', () => {
    it.each([
      ['16kb', 16_384],
      ['16KB', 16_384],
      ['1mb', 1_048_576],
      ['512', 512],
      ['512b', 512],
    ])('parses BODY_LIMIT=%s as %d bytes', (value, bytes) => {
      process.env.BODY_LIMIT = value;
      expect(appConfig().bodyLimit).toBe(bytes);
    });

    it.each(['lots', '0', '0kb', '1.5mb', '-1kb', '16 kb', '1gb'])('refuses BODY_LIMIT=%s, naming it', (value) => {
      process.env.BODY_LIMIT = value;
      expectEnvError(() => appConfig(), 'BODY_LIMIT');
    });

    it.each([
      ['true', true],
      ['false', false],
      ['10.0.0.0/8', ['10.0.0.0/8']],
      ['10.0.0.5, 192.168.0.0/16,fd00::/8', ['10.0.0.5', '192.168.0.0/16', 'fd00::/8']],
    ])('reads TRUST_PROXY=%s as %p', (value, trustProxy) => {
      process.env.TRUST_PROXY = value;
      expect(appConfig().trustProxy).toEqual(trustProxy);
    });

    it.each([
      ['PORT', '65536'],
      ['PORT', 'http'],
      ['TRUST_PROXY', 'maybe'],
      ['TRUST_PROXY', '1'],
      ['TRUST_PROXY', '10.0.0.0/33'],
      ['TRUST_PROXY', '10.0.0.0/8,loadbalancer'],
      ['LOG_LEVEL', 'chatty'],
    ])('refuses %s=%s, naming it', (variable, value) => {
      process.env[variable] = value;
      expectEnvError(() => appConfig(), variable);
    });
  });

  describe('phone', () => {
    it('upper-cases a supported region', () => {
      process.env.PHONE_DEFAULT_REGION = 'us';
      expect(phoneConfig().defaultRegion).toBe('US');
    });

    it('refuses an unknown region, naming PHONE_DEFAULT_REGION', () => {
      process.env.PHONE_DEFAULT_REGION = 'XX';
      expectEnvError(() => phoneConfig(), 'PHONE_DEFAULT_REGION');
    });
  });

  describe('production', () => {
    it.each([
      [undefined, false],
      ['development', false],
      ['test', false],
      ['Production', false],
      ['production', true],
    ])('NODE_ENV=%s gives appConfig.production=%s, the same answer as isProduction()', (nodeEnv, production) => {
      if (nodeEnv !== undefined) process.env.NODE_ENV = nodeEnv;
      expect(appConfig().production).toBe(production);
      expect(isProduction()).toBe(production);
    });

    it('is the only production answer the app namespace gives (no raw NODE_ENV to compare)', () => {
      process.env.NODE_ENV = 'production';
      expect(appConfig()).not.toHaveProperty('nodeEnv');
    });
  });

  describe('loadConfig', () => {
    it('returns every namespace, read and checked, by name', () => {
      process.env.PORT = '8080';
      process.env.OTP_TTL = '2m';
      const config = loadConfig();
      expect(Object.keys(config).sort()).toEqual(
        ['app', 'database', 'jwt', 'otp', 'phone', 'purge', 'redis', 'session', 'sms', 'throttle'].sort(),
      );
      expect(config.app.port).toBe(8080);
      expect(config.otp.ttlMs).toBe(120_000);
      expect(config.sms.provider).toBe('mock');
    });

    it('reports two bad variables of different namespaces together, each named with its problem', () => {
      process.env.PORT = 'abc';
      process.env.OTP_TTL = 'bogus';

      const error = configErrorFrom(loadConfig);

      expect(error.errors.map((e) => e.variable)).toEqual(['PORT', 'OTP_TTL']);
      expect(error.message).toBe(
        'Invalid environment variables: PORT: expected an integer from 0 to 65535, got "abc"; ' +
          'OTP_TTL: expected a positive duration like 90s, 5m, 24h or 7d, got "bogus"',
      );
      expect(error.message).not.toContain('\n');
    });

    it('reports every bad variable across all namespaces, each once', () => {
      Object.assign(process.env, {
        NODE_ENV: 'production',
        BODY_LIMIT: 'lots',
        DATABASE_URL: 'mysql://x',
        OTP_CODE_LENGTH: '3',
        PHONE_ALLOWED_COUNTRIES: 'US,XX,YY',
        REDIS_URL: 'localhost:6379',
        SESSION_MAX_AGE: '0s',
        SMS_PROVIDER: 'carrier-pigeon',
        THROTTLE_TTL: 'often',
        PURGE_RETENTION: 'forever',
      });

      const error = configErrorFrom(loadConfig);

      expect(error.errors.map((e) => e.variable).sort()).toEqual(
        [
          'BODY_LIMIT',
          'DATABASE_URL',
          'JWT_SECRET',
          'OTP_CODE_LENGTH',
          'OTP_SECRET',
          'PHONE_ALLOWED_COUNTRIES',
          'PURGE_RETENTION',
          'REDIS_URL',
          'SESSION_MAX_AGE',
          'SMS_PROVIDER',
          'THROTTLE_TTL',
        ].sort(),
      );
      expect(error.message).toMatch(/SMS_PROVIDER: expected one of mock, twilio, twilio-verify, webhook/);
    });

    it('gives the single error its usual message when only one variable is bad', () => {
      process.env.PORT = 'http';
      expect(configErrorFrom(loadConfig).message).toBe(
        'Invalid environment variable PORT: expected an integer from 0 to 65535, got "http"',
      );
    });

    it('leaves the readers throwing the first error once it is done, as Nest loads the namespaces', () => {
      process.env.PORT = 'abc';
      process.env.BODY_LIMIT = 'lots';
      configErrorFrom(loadConfig);
      expect(() => appConfig()).toThrow('Invalid environment variable PORT:');
    });
  });
});
