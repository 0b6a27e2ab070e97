import {
  appConfig,
  configNamespaces,
  databaseConfig,
  jwtConfig,
  otpConfig,
  phoneConfig,
  sessionConfig,
  smsConfig,
  throttleConfig,
} from '.';
import { TwilioSmsAdapter } from '../sms/adapters/twilio-sms.adapter';
import { createSmsSender } from '../sms/sms.module';
import { parseDatabaseUrl } from './database.config';
import { EnvError } from './env';

/** Every variable the namespaces read, cleared before each test so the developer's shell cannot leak in. */
const VARIABLES = [
  'NODE_ENV',
  'PORT',
  'HOST',
  'TRUST_PROXY',
  'BODY_LIMIT',
  'LOG_LEVEL',
  'DATABASE_URL',
  'DATABASE_MIGRATIONS_RUN',
  'JWT_SECRET',
  'JWT_ACCESS_TTL',
  'JWT_REFRESH_TTL',
  'JWT_ISSUER',
  'JWT_AUDIENCE',
  'OTP_SECRET',
  'OTP_CODE_LENGTH',
  'OTP_TTL',
  'OTP_MAX_ATTEMPTS',
  'PHONE_DEFAULT_REGION',
  'SMS_PROVIDER',
  'APP_NAME',
  'SMS_TIMEOUT',
  'SMS_MOCK_FAILURE_RATE',
  'SMS_MOCK_OUTBOX',
  'SMS_WEBOTP_DOMAIN',
  'TWILIO_ACCOUNT_SID',
  'TWILIO_AUTH_TOKEN',
  'TWILIO_FROM',
  'TWILIO_MESSAGING_SERVICE_SID',
  'TWILIO_VERIFY_SERVICE_SID',
  'TWILIO_API_BASE_URL',
  'SMS_WEBHOOK_URL',
  'SMS_WEBHOOK_SECRET',
  'THROTTLE_LIMIT',
  'THROTTLE_TTL',
  'OTP_IP_SEND_LIMIT',
  'OTP_IP_SEND_WINDOW',
  'OTP_IP_VERIFY_LIMIT',
  'OTP_IP_VERIFY_WINDOW',
  'REFRESH_REUSE_GRACE',
  'SESSION_MAX_AGE',
  'PURGE_INTERVAL',
  'PURGE_RETENTION',
];

const STRONG_SECRET = 'a'.repeat(32);

describe('config namespaces', () => {
  const saved = process.env;

  beforeEach(() => {
    process.env = { ...saved };
    for (const name of VARIABLES) delete process.env[name];
  });

  afterEach(() => {
    process.env = saved;
  });

  function expectEnvError(load: () => unknown, variable: string): void {
    expect(load).toThrow(EnvError);
    expect(load).toThrow(`Invalid environment variable ${variable}:`);
  }

  describe('defaults (DESIGN §6)', () => {
    it('app: port 3000 on 0.0.0.0, development, no proxy trust, 16kb bodies, info logs', () => {
      expect(appConfig()).toMatchObject({
        nodeEnv: 'development',
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
        mockFailureRate: 0.05,
        mockOutbox: 'data/sms-outbox.jsonl',
      });
    });

    it('sms: SMS_MOCK_OUTBOX set but empty means no outbox', () => {
      process.env.SMS_MOCK_OUTBOX = '';
      expect(smsConfig().mockOutbox).toBeUndefined();
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

    it('refuses a failure rate above 1, naming SMS_MOCK_FAILURE_RATE', () => {
      process.env.SMS_MOCK_FAILURE_RATE = '1.5';
      expectEnvError(() => smsConfig(), 'SMS_MOCK_FAILURE_RATE');
    });

    it('has no WebOTP line, webhook or Twilio settings, and a 10s SMS_TIMEOUT by default', () => {
      expect(smsConfig()).toMatchObject({
        timeoutMs: 10_000,
        webOtpDomain: undefined,
        webhook: { url: undefined, secret: undefined },
        twilio: { accountSid: undefined, apiBaseUrl: undefined },
      });
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
        process.env.SMS_WEBHOOK_URL = url;
        expect(smsConfig().webhook.url).toBe(url);
      },
    );

    it.each([
      'gateway.example.com/sms',
      'ftp://gateway.example.com/sms',
      'javascript:alert(1)',
      'https://',
      'https://gate way.example.com/sms',
      'http://[::1/sms',
    ])('refuses SMS_WEBHOOK_URL=%j, naming it', (url) => {
      process.env.SMS_WEBHOOK_URL = url;
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

    describe('a production boot with SMS_PROVIDER=twilio', () => {
      beforeEach(() => {
        Object.assign(process.env, {
          NODE_ENV: 'production',
          JWT_SECRET: STRONG_SECRET,
          OTP_SECRET: 'b'.repeat(32),
          SMS_PROVIDER: 'twilio',
          TWILIO_ACCOUNT_SID: 'AC' + '1'.repeat(32),
          TWILIO_AUTH_TOKEN: 'c'.repeat(32),
          TWILIO_FROM: '+12015550199',
        });
      });

      it('passes every config namespace and binds the Twilio adapter when the settings are complete', () => {
        for (const load of configNamespaces) expect(load).not.toThrow();
        expect(smsConfig()).toMatchObject({
          provider: 'twilio',
          twilio: { accountSid: 'AC' + '1'.repeat(32), authToken: 'c'.repeat(32), from: '+12015550199' },
        });
        expect(createSmsSender(smsConfig())).toBeInstanceOf(TwilioSmsAdapter);
      });

      it.each(['TWILIO_ACCOUNT_SID', 'TWILIO_AUTH_TOKEN', 'TWILIO_FROM'])(
        'stops at the SMS provider without %s, naming it',
        (variable) => {
          delete process.env[variable];
          expectEnvError(() => createSmsSender(smsConfig()), variable);
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
});
