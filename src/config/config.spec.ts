import {
  appConfig,
  ConfigError,
  configNamespaces,
  databaseConfig,
  jwtConfig,
  loadConfig,
  mfaConfig,
  otpConfig,
  phoneConfig,
  sessionConfig,
  accountConfig,
  smsConfig,
  throttleConfig,
  webauthnConfig,
} from '.';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseDatabaseUrl } from './database.config';
import { EnvError, isProduction } from './env';
import { DEVELOPMENT_SECRETS, isPlaceholderSecret, PLACEHOLDER_SECRETS, SECRET_VARIABLES } from './secrets';

/** A random key as `openssl rand -base64 N` makes one: what production expects. */
const randomSecret = (bytes = 32) => randomBytes(bytes).toString('base64');
/** Exactly 32 bytes (24 random bytes in base64). */
const STRONG_SECRET = randomSecret(24);

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

    it('account: recent authentication for 10m, other sessions end on a phone change, 3 changes a day', () => {
      expect(accountConfig()).toEqual({
        reauthMaxAgeMs: 600_000,
        phoneChangeRevoke: 'others',
        phoneChangeDailyLimit: 3,
        recoveryFailureLimit: 10,
      });
    });

    it('webauthn: localhost as the relying party, the development server as the origin, 5m ceremonies', () => {
      expect(webauthnConfig()).toEqual({
        rpId: 'localhost',
        rpName: 'Phone OTP Auth',
        origins: ['http://localhost:3000'],
        challengeTtlMs: 300_000,
      });
    });

    it('webauthn: takes origins on the RP ID or its subdomains, and refuses the rest', () => {
      Object.assign(process.env, {
        WEBAUTHN_RP_ID: 'Example.com',
        WEBAUTHN_ORIGINS: 'https://example.com, https://app.example.com:8443/',
      });
      expect(webauthnConfig()).toMatchObject({
        rpId: 'example.com',
        origins: ['https://example.com', 'https://app.example.com:8443'],
      });
      const refused = [
        'https://evil.com',
        'https://notexample.com',
        'ftp://example.com',
        'https://example.com/login',
        ' , ',
      ];
      for (const origins of refused) {
        process.env.WEBAUTHN_ORIGINS = origins;
        expectEnvError(() => webauthnConfig(), 'WEBAUTHN_ORIGINS');
      }
      process.env.WEBAUTHN_RP_ID = 'https://example.com';
      expectEnvError(() => webauthnConfig(), 'WEBAUTHN_RP_ID');
    });

    it('webauthn: production takes only https origins, loopback excepted', () => {
      Object.assign(process.env, { NODE_ENV: 'production', WEBAUTHN_RP_ID: 'example.com' });
      process.env.WEBAUTHN_ORIGINS = 'http://app.example.com';
      expectEnvError(() => webauthnConfig(), 'WEBAUTHN_ORIGINS');
      Object.assign(process.env, { WEBAUTHN_RP_ID: 'localhost', WEBAUTHN_ORIGINS: 'http://localhost:3000' });
      expect(webauthnConfig().origins).toEqual(['http://localhost:3000']);
    });

    it('mfa: optional, secrets sealed under the development key, challenges live 5m', () => {
      expect(mfaConfig()).toEqual({
        policy: 'optional',
        encryptionKey: DEVELOPMENT_SECRETS.MFA_ENCRYPTION_KEY,
        previousEncryptionKey: undefined,
        challengeTtlMs: 300_000,
        totpIssuer: 'Phone OTP Auth',
      });
      process.env.MFA_POLICY = 'Required';
      expect(mfaConfig().policy).toBe('required');
      process.env.MFA_POLICY = 'always';
      expectEnvError(() => mfaConfig(), 'MFA_POLICY');
    });

    it('account: PHONE_CHANGE_REVOKE takes others, all or none; REAUTH_MAX_AGE and the daily limit must be positive', () => {
      process.env.PHONE_CHANGE_REVOKE = 'ALL';
      expect(accountConfig().phoneChangeRevoke).toBe('all');
      process.env.PHONE_CHANGE_REVOKE = 'everyone';
      expectEnvError(() => accountConfig(), 'PHONE_CHANGE_REVOKE');
      delete process.env.PHONE_CHANGE_REVOKE;
      process.env.REAUTH_MAX_AGE = '0s';
      expectEnvError(() => accountConfig(), 'REAUTH_MAX_AGE');
      delete process.env.REAUTH_MAX_AGE;
      process.env.PHONE_CHANGE_DAILY_LIMIT = '0';
      expectEnvError(() => accountConfig(), 'PHONE_CHANGE_DAILY_LIMIT');
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
      const twoByteCharacters = 'àáâãäåæçèéêëìíîï';
      process.env.JWT_SECRET = twoByteCharacters;
      expect(jwtConfig().secret).toBe(twoByteCharacters);
      process.env.JWT_SECRET = twoByteCharacters.slice(1);
      expectEnvError(() => jwtConfig(), 'JWT_SECRET');
      expect(() => jwtConfig()).toThrow('at least 32 bytes');
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
          JWT_SECRET: randomSecret(),
          OTP_SECRET: randomSecret(),
          MFA_ENCRYPTION_KEY: randomSecret(),
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

  describe('sms channels', () => {
    const FROM = '+12015550199';
    const TWILIO = {
      SMS_PROVIDER: 'twilio',
      TWILIO_ACCOUNT_SID: 'AC' + '1'.repeat(32),
      TWILIO_AUTH_TOKEN: 'c'.repeat(32),
      TWILIO_FROM: FROM,
    };
    const CONTENT_SID = 'HX' + 'ab'.repeat(16);
    const twilio = () => {
      const config = smsConfig();
      if (config.provider !== 'twilio') throw new Error(`expected twilio, got ${config.provider}`);
      return config.twilio;
    };

    it('asks for no WhatsApp template, no other numbers and no receipts by default', () => {
      Object.assign(process.env, TWILIO);
      expect(twilio()).toMatchObject({
        whatsappFrom: undefined,
        whatsappContentSid: undefined,
        voiceFrom: undefined,
        statusCallbackUrl: undefined,
      });
    });

    it('exposes every channel setting of the twilio provider', () => {
      Object.assign(process.env, TWILIO, {
        TWILIO_WHATSAPP_FROM: '+14155238886',
        TWILIO_WHATSAPP_CONTENT_SID: CONTENT_SID,
        TWILIO_VOICE_FROM: '+12015550188',
        TWILIO_STATUS_CALLBACK_URL: 'https://auth.example.com/api/sms/status/twilio/',
      });
      expect(twilio()).toMatchObject({
        sender: { from: FROM },
        whatsappFrom: '+14155238886',
        whatsappContentSid: CONTENT_SID,
        voiceFrom: '+12015550188',
        statusCallbackUrl: 'https://auth.example.com/api/sms/status/twilio/',
      });
    });

    it('calls from TWILIO_FROM when a Messaging Service sends the texts, and from nothing without it', () => {
      Object.assign(process.env, TWILIO, { TWILIO_MESSAGING_SERVICE_SID: 'MG' + '0'.repeat(32) });
      expect(twilio()).toMatchObject({ sender: { messagingServiceSid: 'MG' + '0'.repeat(32) }, voiceFrom: FROM });
      delete process.env.TWILIO_FROM;
      expect(twilio().voiceFrom).toBeUndefined();
    });

    it('gives the channel settings to the twilio provider only', () => {
      Object.assign(process.env, TWILIO, {
        SMS_PROVIDER: 'twilio-verify',
        TWILIO_VERIFY_SERVICE_SID: 'VA' + '0'.repeat(32),
        TWILIO_VOICE_FROM: '+12015550188',
      });
      expect(smsConfig()).not.toHaveProperty('twilio.voiceFrom');
    });

    it.each(['TWILIO_WHATSAPP_FROM', 'TWILIO_VOICE_FROM'])('refuses a %s that is not E.164, naming it', (variable) => {
      for (const value of ['12015550199', '+0201555019', '+1 201 555 0199', '+1201555019912345', 'sender']) {
        process.env = { [variable]: value };
        expectEnvError(() => smsConfig(), variable);
        Object.assign(process.env, TWILIO);
        expectEnvError(() => smsConfig(), variable);
      }
    });

    it('says to drop the whatsapp: prefix from TWILIO_WHATSAPP_FROM', () => {
      process.env.TWILIO_WHATSAPP_FROM = 'whatsapp:+14155238886';
      expect(() => smsConfig()).toThrow('without the whatsapp: prefix');
    });

    it.each(['MG' + '0'.repeat(32), 'HX123', 'HX' + 'g'.repeat(32)])(
      'refuses TWILIO_WHATSAPP_CONTENT_SID=%s, naming it',
      (value) => {
        process.env.TWILIO_WHATSAPP_CONTENT_SID = value;
        expectEnvError(() => smsConfig(), 'TWILIO_WHATSAPP_CONTENT_SID');
      },
    );

    it.each([
      'https://auth.example.com/api/sms/status/twilio/',
      'http://127.0.0.1:4010/api/sms/status/twilio/',
      'http://localhost:3000/api/sms/status/twilio/',
      'http://[::1]:3000/api/sms/status/twilio/',
    ])('accepts TWILIO_STATUS_CALLBACK_URL=%s outside production', (url) => {
      Object.assign(process.env, TWILIO, { TWILIO_STATUS_CALLBACK_URL: url });
      expect(twilio().statusCallbackUrl).toBe(url);
    });

    it.each([
      'http://auth.example.com/api/sms/status/twilio/',
      'ftp://auth.example.com/status',
      'auth.example.com/api/sms/status/twilio/',
      'https://',
    ])('refuses TWILIO_STATUS_CALLBACK_URL=%j, naming it', (url) => {
      process.env.TWILIO_STATUS_CALLBACK_URL = url;
      expectEnvError(() => smsConfig(), 'TWILIO_STATUS_CALLBACK_URL');
    });

    it('refuses a plain-http TWILIO_STATUS_CALLBACK_URL in production, even to loopback', () => {
      Object.assign(process.env, TWILIO, {
        NODE_ENV: 'production',
        TWILIO_STATUS_CALLBACK_URL: 'http://127.0.0.1:3000/api/sms/status/twilio/',
      });
      expectEnvError(() => smsConfig(), 'TWILIO_STATUS_CALLBACK_URL');
      expect(() => smsConfig()).toThrow('https in production');
      process.env.TWILIO_STATUS_CALLBACK_URL = 'https://auth.example.com/api/sms/status/twilio/';
      expect(twilio().statusCallbackUrl).toBe('https://auth.example.com/api/sms/status/twilio/');
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
      ['Production', true],
      ['PRODUCTION', true],
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

  describe('production refuses weak settings (issue 13)', () => {
    const WEBHOOK_URL = 'https://gateway.example.com/sms';

    /** Everything set, every secret random and of its own: the production boot that must load. */
    function validProduction(): Record<string, string> {
      return {
        NODE_ENV: 'production',
        JWT_SECRET: randomSecret(48),
        JWT_PREVIOUS_SECRET: randomSecret(48),
        OTP_SECRET: randomSecret(48),
        MFA_ENCRYPTION_KEY: randomSecret(48),
        MFA_PREVIOUS_ENCRYPTION_KEY: randomSecret(48),
        METRICS_TOKEN: randomBytes(32).toString('hex'),
        SMS_PROVIDER: 'webhook',
        SMS_WEBHOOK_URL: WEBHOOK_URL,
        SMS_WEBHOOK_SECRET: randomSecret(),
      };
    }

    /** loadConfig() on a valid production environment with `changes` applied: each bad variable, by name. */
    function productionErrors(changes: Record<string, string>): Map<string, string> {
      Object.assign(process.env, validProduction(), changes);
      return new Map(configErrorFrom(loadConfig).errors.map((e) => [e.variable, e.message]));
    }

    it('loads a production configuration with every setting valid', () => {
      const env = validProduction();
      Object.assign(process.env, env);

      const config = loadConfig();

      expect(config.app).toMatchObject({ production: true, apiDocsEnabled: false, metricsToken: env.METRICS_TOKEN });
      expect(config.jwt).toMatchObject({ secret: env.JWT_SECRET, previousSecret: env.JWT_PREVIOUS_SECRET });
      expect(config.otp).toMatchObject({ secret: env.OTP_SECRET, codeLength: 6, ttlMs: 300_000 });
      expect(config.sms).toMatchObject({
        provider: 'webhook',
        webhook: { url: WEBHOOK_URL, secret: env.SMS_WEBHOOK_SECRET },
      });
    });

    describe('placeholders', () => {
      const LONG_PLACEHOLDERS = [`CHANGE_ME-${randomSecret()}`, `${randomSecret()}-change-me`, 'Change Me'];
      const cases = SECRET_VARIABLES.flatMap((variable) =>
        [...PLACEHOLDER_SECRETS, ...LONG_PLACEHOLDERS].map((value) => [variable, value] as const),
      );

      it('covers both development values and CHANGE_ME, the value docs/deployment.md shows', () => {
        expect(PLACEHOLDER_SECRETS).toEqual(
          expect.arrayContaining([DEVELOPMENT_SECRETS.JWT_SECRET, DEVELOPMENT_SECRETS.OTP_SECRET, 'CHANGE_ME']),
        );
      });

      it.each(['.env.example', 'docs/deployment.md'])('counts every secret value %s shows as a placeholder', (file) => {
        const text = readFileSync(join(__dirname, '..', '..', file), 'utf8');
        const names: readonly string[] = [...SECRET_VARIABLES, 'TWILIO_AUTH_TOKEN'];
        const shown = [...text.matchAll(/^([A-Z_]+)=(.*)$/gm)].filter(([, name]) => names.includes(name));

        expect(shown.length).toBeGreaterThan(0);
        for (const [line, , value] of shown)
          expect([line, value === '' || isPlaceholderSecret(value)]).toEqual([line, true]);
      });

      it.each(cases)('refuses %s=%j in production as a placeholder, naming only that variable', (variable, value) => {
        const errors = productionErrors({ [variable]: value });

        expect([...errors.keys()]).toEqual([variable]);
        expect(errors.get(variable)).toContain(`${variable}: is a development or documentation placeholder`);
        expect(errors.get(variable)).toContain('openssl rand -base64 48');
      });

      it.each(['CHANGE_ME', 'change-me', '…'])(
        'refuses TWILIO_AUTH_TOKEN=%j in production, the docs placeholder for the Twilio token',
        (value) => {
          const errors = productionErrors({
            SMS_PROVIDER: 'twilio',
            TWILIO_ACCOUNT_SID: 'AC' + '1'.repeat(32),
            TWILIO_AUTH_TOKEN: value,
            TWILIO_FROM: '+12015550199',
          });
          expect([...errors.keys()]).toEqual(['TWILIO_AUTH_TOKEN']);
          expect(errors.get('TWILIO_AUTH_TOKEN')).toContain('placeholder');
        },
      );

      it('accepts the placeholders outside production, so development needs no set-up', () => {
        Object.assign(process.env, { NODE_ENV: 'development', JWT_SECRET: 'CHANGE_ME', METRICS_TOKEN: 'change-me' });
        expect(loadConfig()).toMatchObject({ jwt: { secret: 'CHANGE_ME' }, app: { metricsToken: 'change-me' } });
      });
    });

    describe('distinct secrets', () => {
      const pairs = SECRET_VARIABLES.flatMap((first, i) =>
        SECRET_VARIABLES.slice(i + 1).map((second) => [first, second] as const),
      );

      it.each(pairs)('refuses the same value for %s and %s, naming both', (first, second) => {
        const shared = randomSecret();
        const errors = productionErrors({ [first]: shared, [second]: shared });

        expect([...errors.keys()].sort()).toEqual([first, second].sort());
        expect(errors.get(first)).toContain(`${first}: must differ from ${second}`);
        expect(errors.get(second)).toContain(`${second}: must differ from ${first}`);
        for (const message of errors.values()) expect(message).not.toContain(shared);
      });

      it('names every other variable holding the same value', () => {
        const shared = randomSecret();
        const errors = productionErrors({ JWT_SECRET: shared, OTP_SECRET: shared, METRICS_TOKEN: shared });
        expect(errors.get('OTP_SECRET')).toContain('must differ from JWT_SECRET and METRICS_TOKEN');
      });

      it('allows the same value twice outside production', () => {
        const shared = 'same-value-everywhere';
        Object.assign(process.env, { JWT_SECRET: shared, OTP_SECRET: shared, METRICS_TOKEN: shared });
        expect(loadConfig().otp.secret).toBe(shared);
      });
    });

    describe('entropy', () => {
      const binary = [...randomBytes(64)].map((byte) => String(byte & 1)).join('');
      const LOW_ENTROPY: [string, string][] = [
        ['a × 32', 'a'.repeat(32)],
        ['a × 64', 'a'.repeat(64)],
        ['ab × 20', 'ab'.repeat(20)],
        ['0123456789 × 4 then 0123', '0123456789'.repeat(4) + '0123'],
        ['a 12-character password repeated', 'Tr0ub4dor&3!'.repeat(3)],
        ['64 random binary digits', binary],
        ['nine different characters', 'abcdefghi'.repeat(3) + 'ihgfedcba'],
      ];

      it.each(SECRET_VARIABLES.flatMap((variable) => LOW_ENTROPY.map(([what, value]) => [variable, what, value])))(
        'refuses %s set to %s as too predictable, naming it',
        (variable, _what, value) => {
          const errors = productionErrors({ [variable]: value });

          expect([...errors.keys()]).toEqual([variable]);
          expect(errors.get(variable)).toContain(`${variable}: is too predictable`);
          expect(errors.get(variable)).not.toContain(value);
        },
      );

      it.each([
        ['32 random bytes in base64 (openssl rand -base64 32)', () => randomBytes(32).toString('base64')],
        ['48 random bytes in base64 (openssl rand -base64 48)', () => randomBytes(48).toString('base64')],
        ['32 random bytes in base64url', () => randomBytes(32).toString('base64url')],
        ['32 random bytes in hex (openssl rand -hex 32)', () => randomBytes(32).toString('hex')],
        ['24 random bytes in base64, exactly 32 characters', () => randomBytes(24).toString('base64')],
      ])('accepts %s for every secret', (_what, generate) => {
        const values = Object.fromEntries(SECRET_VARIABLES.map((variable) => [variable, generate()]));
        Object.assign(process.env, validProduction(), values);

        const config = loadConfig();

        expect(config.jwt).toMatchObject({ secret: values.JWT_SECRET, previousSecret: values.JWT_PREVIOUS_SECRET });
        expect(config.otp.secret).toBe(values.OTP_SECRET);
        expect(config.app.metricsToken).toBe(values.METRICS_TOKEN);
        expect(config.sms).toMatchObject({ webhook: { secret: values.SMS_WEBHOOK_SECRET } });
      });

      it.each(['METRICS_TOKEN', 'SMS_WEBHOOK_SECRET', 'JWT_PREVIOUS_SECRET'])(
        'holds %s to 32 bytes in production, and not outside it',
        (variable) => {
          expect(productionErrors({ [variable]: randomSecret(16) }).get(variable)).toContain('at least 32 bytes');
          process.env.NODE_ENV = 'development';
          expect(loadConfig()).toBeDefined();
        },
      );
    });

    describe('NODE_ENV', () => {
      it.each(['Production', 'PRODUCTION', ' production '])(
        'reads NODE_ENV=%j as production, strict checks on',
        (value) => {
          process.env.NODE_ENV = value;
          expect(appConfig().production).toBe(true);
          expect(isProduction()).toBe(true);
          expect(configErrorFrom(loadConfig).errors.map((e) => e.variable)).toEqual(
            expect.arrayContaining(['JWT_SECRET', 'OTP_SECRET', 'SMS_PROVIDER']),
          );
        },
      );

      it.each(['Development', 'TEST'])('reads NODE_ENV=%j case-insensitively as not production', (value) => {
        process.env.NODE_ENV = value;
        expect(loadConfig().app.production).toBe(false);
      });

      it.each(['prod', 'staging', 'dev', 'production1'])(
        'refuses NODE_ENV=%j instead of running it as development, naming NODE_ENV and the choices',
        (value) => {
          process.env.NODE_ENV = value;
          const error = configErrorFrom(loadConfig);
          expect(error.errors.map((e) => e.variable)).toEqual(['NODE_ENV']);
          expect(error.message).toBe(
            `Invalid environment variable NODE_ENV: expected development, test or production (any case), got "${value}"`,
          );
          expect(() => appConfig()).toThrow('Invalid environment variable NODE_ENV:');
        },
      );
    });

    describe('one-time code minimums (NIST SP 800-63B §5.1.3.2)', () => {
      it.each(['4', '5'])('refuses OTP_CODE_LENGTH=%s in production, naming it', (value) => {
        const errors = productionErrors({ OTP_CODE_LENGTH: value });
        expect([...errors.keys()]).toEqual(['OTP_CODE_LENGTH']);
        expect(errors.get('OTP_CODE_LENGTH')).toContain('at least 6 digits in production');
      });

      it.each(['11m', '601s', '1h'])('refuses OTP_TTL=%s in production, naming it', (value) => {
        const errors = productionErrors({ OTP_TTL: value });
        expect([...errors.keys()]).toEqual(['OTP_TTL']);
        expect(errors.get('OTP_TTL')).toContain('at most 10m in production');
      });

      it('accepts 6 digits and a 10m lifetime in production', () => {
        Object.assign(process.env, validProduction(), { OTP_CODE_LENGTH: '6', OTP_TTL: '10m' });
        expect(loadConfig().otp).toMatchObject({ codeLength: 6, ttlMs: 600_000 });
      });

      it('allows OTP_CODE_LENGTH=4 and OTP_TTL=11m in development', () => {
        Object.assign(process.env, { NODE_ENV: 'development', OTP_CODE_LENGTH: '4', OTP_TTL: '11m' });
        expect(loadConfig().otp).toMatchObject({ codeLength: 4, ttlMs: 660_000 });
      });
    });

    describe('API docs', () => {
      it('are off by default in production', () => {
        Object.assign(process.env, validProduction());
        expect(loadConfig().app.apiDocsEnabled).toBe(false);
      });

      it('are on in production with API_DOCS_ENABLED=true', () => {
        Object.assign(process.env, validProduction(), { API_DOCS_ENABLED: 'true' });
        expect(loadConfig().app.apiDocsEnabled).toBe(true);
      });

      it('are on by default outside production, and off with API_DOCS_ENABLED=false', () => {
        expect(appConfig().apiDocsEnabled).toBe(true);
        process.env.API_DOCS_ENABLED = 'false';
        expect(appConfig().apiDocsEnabled).toBe(false);
      });
    });

    it('reports every weak setting at once, each named with what to set', () => {
      const shared = randomSecret();
      const errors = productionErrors({
        JWT_SECRET: 'CHANGE_ME',
        JWT_PREVIOUS_SECRET: 'short',
        OTP_SECRET: shared,
        METRICS_TOKEN: shared,
        SMS_WEBHOOK_SECRET: 'ab'.repeat(20),
        OTP_CODE_LENGTH: '4',
        OTP_TTL: '30m',
      });

      expect([...errors.keys()].sort()).toEqual(
        [
          'JWT_PREVIOUS_SECRET',
          'JWT_SECRET',
          'METRICS_TOKEN',
          'OTP_CODE_LENGTH',
          'OTP_SECRET',
          'OTP_TTL',
          'SMS_WEBHOOK_SECRET',
        ].sort(),
      );
      for (const message of errors.values()) expect(message).toMatch(/; set /);
    });
  });

  describe('loadConfig', () => {
    it('returns every namespace, read and checked, by name', () => {
      process.env.PORT = '8080';
      process.env.OTP_TTL = '2m';
      const config = loadConfig();
      expect(Object.keys(config).sort()).toEqual(
        [
          'account',
          'admin',
          'app',
          'captcha',
          'database',
          'delivery',
          'fraud',
          'jwt',
          'mfa',
          'otp',
          'phone',
          'purge',
          'redis',
          'session',
          'sms',
          'throttle',
          'webauthn',
        ].sort(),
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
          'MFA_ENCRYPTION_KEY',
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
