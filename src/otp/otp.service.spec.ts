import { Logger } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import type { Repository } from 'typeorm';
import { useMemoryDatabase } from '../../test/helpers/memory-database';
import { ProblemException } from '../common/errors/problem.exception';
import type { deliveryConfig, otpConfig, smsConfig } from '../config';
import type { Channel, CodeMessage } from '../sms/sms-sender';
import { SmsDeliveryError } from '../sms/sms-sender';
import { OtpCode } from './otp-code.entity';
import { hashCode } from './otp-code';
import { MetricsService } from '../metrics/metrics.service';
import { OtpDeliveryService } from './otp-delivery.service';
import { OtpLimitsService } from './otp-limits.service';
import { OtpSender } from './otp-sender.service';
import { OtpService, signInScope } from './otp.service';
import { MemoryRateLimitStore } from '../rate-limit/memory-rate-limit.store';
import { Sql } from '../database/sql';
import { DeliveryChannels } from './delivery-channels.service';
import { OtpCodesRepository } from './otp-codes.repository';
import { SmsDeliveriesRepository } from './sms-deliveries.repository';
import type { SendScreening } from '../fraud/send-screening.service';
import { AuditEventsRepository } from '../audit/audit-events.repository';
import { AuditTrail } from '../audit/audit-trail.service';
import { maskPhone, type PhoneNumberService } from '../common/phone-number.service';
import { CodeGuesses } from './code-guesses.service';
import { ProviderCodeCheck } from './provider-code-check.service';
import { SendRefusals } from './send-refusals.service';

const PHONE = '+12015550123';
const OTHER_PHONE = '+447911123456';
const CLIENT = '198.51.100.7';
const T0 = new Date('2026-07-08T12:00:00.000Z').getTime();

const OTP_CONFIG: ConfigType<typeof otpConfig> = {
  secret: 'unit-test-otp-secret',
  codeLength: 6,
  ttlMs: 5 * 60_000,
  maxAttempts: 3,
  // The limits have their own spec; here they stay out of the way.
  resendCooldownMs: 0,
  phoneSendLimit: 1000,
  phoneSendWindowMs: 3_600_000,
  phoneDailySendLimit: 1000,
  smsHourlyBudget: 1000,
  smsCountryBudgets: { byCountry: new Map(), otherwise: 1000 },
  phoneFailureLimit: 1000,
  phoneFailureWindowMs: 3_600_000,
  maxConsecutiveFailures: 1000,
  testNumbers: new Map(),
};

/** Codes go by SMS only: the channels and their fallback have their own specs. */
const DELIVERY_CONFIG: ConfigType<typeof deliveryConfig> = {
  channels: ['sms'],
  countries: new Map(),
  fallback: 'off',
  fallbackWindowMs: 120_000,
};

/** OtpService reads only the message and deadline settings from the SMS namespace. */
const SMS_CONFIG = { appName: 'Acme', timeoutMs: 10_000, webOtpDomain: undefined } as ConfigType<typeof smsConfig>;

describe('OtpService', () => {
  const database = useMemoryDatabase();
  let codes: Repository<OtpCode>;
  let sender: { channels: Channel[]; send: jest.Mock<Promise<void>, [CodeMessage]> };
  let warn: jest.SpyInstance;
  // Screening against SMS pumping has its own specs; here it lets everything through.
  const screening = {
    admit: jest.fn(() => Promise.resolve()),
    sent: jest.fn(() => Promise.resolve()),
    verified: jest.fn(() => Promise.resolve()),
  } as unknown as SendScreening;

  /** The sending and the checking side over one repository, one set of limits and one SMS sender. */
  type Codes = Pick<OtpSender, 'issue'> & Pick<OtpService, 'check' | 'redeem' | 'redeemed'>;

  function createService(overrides: Partial<ConfigType<typeof otpConfig>> = {}): Codes {
    const config = { ...OTP_CONFIG, ...overrides };
    const metrics = new MetricsService();
    const sql = new Sql(database());
    const repository = new OtpCodesRepository(sql);
    const audit = new AuditTrail(new AuditEventsRepository(sql), sql, config);
    const refusals = new SendRefusals(audit, {} as PhoneNumberService);
    const limits = new OtpLimitsService(new MemoryRateLimitStore(), config, metrics, refusals);
    const deliveries = new SmsDeliveriesRepository(sql);
    const delivery = new OtpDeliveryService(
      sender,
      SMS_CONFIG,
      config,
      DELIVERY_CONFIG,
      limits,
      metrics,
      deliveries,
      audit,
      sql,
    );
    const channels = new DeliveryChannels(DELIVERY_CONFIG, sender, SMS_CONFIG);
    const sending = new OtpSender(
      repository,
      config,
      delivery,
      channels,
      limits,
      metrics,
      screening,
      refusals,
      audit,
      sql,
    );
    const guesses = new CodeGuesses(
      repository,
      config,
      delivery,
      new ProviderCodeCheck(sender, SMS_CONFIG),
      limits,
      audit,
      sql,
    );
    const checking = new OtpService(repository, guesses, limits, metrics, screening, audit);
    return {
      issue: (scope, language) => sending.issue(scope, language),
      check: (scope, code, client) => checking.check(scope, code, client),
      redeem: (matched) => checking.redeem(matched),
      redeemed: (matched, outcome) => checking.redeemed(matched, outcome),
    };
  }

  /** The audit events written since the spec began, oldest first, as the table holds them. */
  async function events(phone: string): Promise<Record<string, unknown>[]> {
    const rows: Record<string, unknown>[] = await database().query(
      'SELECT type, reason, purpose, channel, user_id, ip, elapsed_ms, phone_masked FROM audit_events WHERE phone_masked = ? ORDER BY id',
      [maskPhone(phone)],
    );
    return rows;
  }

  /** What verify-otp does with a code: check it, then spend it in a transaction. */
  async function redeem(service: Codes, phone: string, code: string): Promise<void> {
    const matched = await service.check(signInScope(phone), code, CLIENT);
    const spent = await new Sql(database()).transaction(() => service.redeem(matched));
    await service.redeemed(matched, spent || undefined);
  }

  /** The text of the last SMS sent to `phone`, whether or not the send succeeded. */
  function lastMessageTo(phone: string): string {
    const call = [...sender.send.mock.calls].reverse().find(([message]) => message.to === phone);
    if (!call) throw new Error(`no SMS was sent to ${phone}`);
    return call[0].body;
  }

  function lastCodeTo(phone: string): string {
    const code = /code is (\d+)/.exec(lastMessageTo(phone))?.[1];
    if (!code) throw new Error(`the SMS to ${phone} carries no code`);
    return code;
  }

  /** Any code of the same length that is not `code`. */
  function wrongCode(code: string): string {
    return code.slice(0, -1) + ((Number(code.at(-1)) + 1) % 10);
  }

  function rowsFor(phone: string): Promise<OtpCode[]> {
    return codes.find({ where: { phoneNumber: phone }, order: { id: 'ASC' } });
  }

  beforeAll(() => {
    codes = database().getRepository(OtpCode);
  });

  beforeEach(async () => {
    await codes.clear();
    await database().query('DELETE FROM audit_events');
    sender = { channels: ['sms'], send: jest.fn((_message: CodeMessage) => Promise.resolve()) };
    warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    jest.useFakeTimers({ doNotFake: ['nextTick', 'setImmediate', 'queueMicrotask'] });
    jest.setSystemTime(T0);
  });

  afterEach(() => {
    jest.useRealTimers();
    warn.mockRestore();
  });

  describe('issue', () => {
    it('texts the phone a message with the app name, the code and its lifetime', async () => {
      await expect(createService().issue(signInScope(PHONE), { locale: 'en' })).resolves.toEqual({
        message: 'OTP sent successfully',
        phone_number: PHONE,
        channel: 'sms',
        expires_in_minutes: 5,
        expires_in_seconds: 300,
      });

      expect(sender.send).toHaveBeenCalledTimes(1);
      const [{ to, body }] = sender.send.mock.calls[0];
      expect(to).toBe(PHONE);
      expect(body).toMatch(/^Your Acme code is \d{6}\. It expires in 5 minutes\.$/);
    });

    it('words a one-minute lifetime in the singular and a sub-minute one in seconds', async () => {
      await createService({ ttlMs: 60_000 }).issue(signInScope(PHONE), { locale: 'en' });
      expect(lastMessageTo(PHONE)).toContain('expires in 1 minute.');
      await createService({ ttlMs: 20_000 }).issue(signInScope(PHONE), { locale: 'en' });
      expect(lastMessageTo(PHONE)).toContain('expires in 20 seconds.');
    });

    it.each([30_000, 90_000])('never promises a longer lifetime than the code has (OTP_TTL = %d ms)', async (ttlMs) => {
      await createService({ ttlMs }).issue(signInScope(PHONE), { locale: 'en' });
      const [, amount, unit] = /expires in (\d+) (minutes?|seconds)/.exec(lastMessageTo(PHONE)) ?? [];
      const promisedMs = Number(amount) * (unit.startsWith('minute') ? 60_000 : 1_000);
      expect(promisedMs).toBeLessThanOrEqual(ttlMs);
    });

    it('stores only the HMAC of the code, never the digits', async () => {
      await createService().issue(signInScope(PHONE), { locale: 'en' });
      const code = lastCodeTo(PHONE);

      const [row] = await rowsFor(PHONE);
      expect(row).toMatchObject({
        phoneNumber: PHONE,
        codeHash: hashCode(OTP_CONFIG.secret, PHONE, code),
        attempts: 0,
        createdAt: new Date(T0),
        expiresAt: new Date(T0 + OTP_CONFIG.ttlMs),
        consumedAt: null,
        invalidatedAt: null,
      });
      const raw: Record<string, unknown>[] = await database().query('SELECT * FROM otp_codes');
      expect(raw).toHaveLength(1);
      expect(Object.values(raw[0]).map(String)).not.toContain(code);
      expect(raw[0].code_hash).toMatch(/^[0-9a-f]{64}$/);
    });

    it('invalidates the previous live code for the same phone', async () => {
      const service = createService();
      await service.issue(signInScope(PHONE), { locale: 'en' });
      const first = lastCodeTo(PHONE);
      jest.setSystemTime(T0 + 1_000);
      let second: string;
      do {
        await service.issue(signInScope(PHONE), { locale: 'en' });
        second = lastCodeTo(PHONE);
      } while (second === first);

      const rows = await rowsFor(PHONE);
      expect(rows[0].invalidatedAt).toEqual(new Date(T0 + 1_000));
      expect(rows.filter((row) => row.invalidatedAt === null)).toHaveLength(1);
      await expect(redeem(service, PHONE, first)).rejects.toMatchObject({ code: 'otp_invalid' });
      await expect(redeem(service, PHONE, second)).resolves.toBeUndefined();
    });

    it("leaves other phones' codes alone", async () => {
      const service = createService();
      await service.issue(signInScope(OTHER_PHONE), { locale: 'en' });
      await service.issue(signInScope(PHONE), { locale: 'en' });

      await expect(redeem(service, OTHER_PHONE, lastCodeTo(OTHER_PHONE))).resolves.toBeUndefined();
    });

    it('answers sms_delivery_failed when the provider fails and burns the code it generated', async () => {
      sender.send.mockRejectedValueOnce(new SmsDeliveryError('provider down'));
      const service = createService();

      await expect(service.issue(signInScope(PHONE), { locale: 'en' })).rejects.toMatchObject({
        code: 'sms_delivery_failed',
        status: 503,
      });

      const [row] = await rowsFor(PHONE);
      expect(row.invalidatedAt).toEqual(new Date(T0));
      await expect(redeem(service, PHONE, lastCodeTo(PHONE))).rejects.toMatchObject({ code: 'otp_invalid' });
    });

    it('gives a failed send a cause to log with the phone masked and without the code', async () => {
      sender.send.mockRejectedValueOnce(new SmsDeliveryError('provider down'));

      const failure: unknown = await createService()
        .issue(signInScope(PHONE), { locale: 'en' })
        .catch((error: unknown) => error);

      expect(failure).toMatchObject({ code: 'sms_delivery_failed', cause: expect.any(Error) });
      const logged = ((failure as ProblemException).cause as Error).message;
      expect(logged).toContain('+1201*****23');
      expect(logged).toContain('provider down');
      expect(logged).not.toContain(PHONE);
      expect(logged).not.toContain(lastCodeTo(PHONE));
    });

    it('still invalidates the code when the provider throws something that is not an Error', async () => {
      sender.send.mockRejectedValueOnce('timeout');

      await expect(createService().issue(signInScope(PHONE), { locale: 'en' })).rejects.toMatchObject({
        code: 'sms_delivery_failed',
      });
      const [row] = await rowsFor(PHONE);
      expect(row.invalidatedAt).not.toBeNull();
    });
  });

  describe('audit trail', () => {
    it('records a code sent with its purpose, channel and client, and a failed send as refused instead', async () => {
      const service = createService();
      await service.issue({ phoneNumber: PHONE, purpose: 'reauthenticate', userId: null }, { clientIp: CLIENT });
      sender.send.mockRejectedValueOnce(new Error('provider down'));
      await expect(service.issue(signInScope(PHONE), { clientIp: CLIENT })).rejects.toMatchObject({
        code: 'sms_delivery_failed',
      });

      expect(await events(PHONE)).toEqual([
        expect.objectContaining({
          type: 'code_sent',
          reason: null,
          purpose: 'reauthenticate',
          channel: 'sms',
          ip: CLIENT,
        }),
        expect.objectContaining({ type: 'code_send_refused', reason: 'sms_delivery_failed', purpose: 'sign_in' }),
      ]);
    });

    it('records a send the pumping breaker blocks as refused by the breaker', async () => {
      jest
        .mocked(screening.admit)
        .mockRejectedValueOnce(
          new ProblemException('rate_limited', { detail: 'Codes to numbers like this one are paused.' }),
        );
      await expect(createService().issue(signInScope(PHONE), {})).rejects.toMatchObject({ code: 'rate_limited' });

      expect(await events(PHONE)).toEqual([expect.objectContaining({ type: 'code_send_refused', reason: 'breaker' })]);
    });

    it('records wrong guesses as failed, the one that spends the last attempt and any after it as burned', async () => {
      const service = createService();
      await service.issue(signInScope(PHONE), {});
      const code = lastCodeTo(PHONE);
      for (let i = 0; i < OTP_CONFIG.maxAttempts; i++) {
        await expect(redeem(service, PHONE, wrongCode(code))).rejects.toMatchObject({ code: 'otp_invalid' });
      }
      await expect(redeem(service, PHONE, code)).rejects.toMatchObject({ code: 'otp_attempts_exceeded' });

      expect((await events(PHONE)).map(({ type, reason }) => [type, reason])).toEqual([
        ['code_sent', null],
        ['code_failed', 'otp_invalid'],
        ['code_failed', 'otp_invalid'],
        ['code_burned', 'otp_attempts_exceeded'],
        ['code_burned', 'otp_attempts_exceeded'],
      ]);
    });

    it('records an expired code as failed, a redeemed one as verified with the time since its send, and no event without any code', async () => {
      const service = createService();
      await service.issue(signInScope(PHONE), {});
      jest.setSystemTime(T0 + OTP_CONFIG.ttlMs);
      await expect(redeem(service, PHONE, lastCodeTo(PHONE))).rejects.toMatchObject({ code: 'otp_expired' });
      await service.issue(signInScope(PHONE), {});
      jest.setSystemTime(T0 + OTP_CONFIG.ttlMs + 42_000);
      await redeem(service, PHONE, lastCodeTo(PHONE));
      await expect(redeem(service, OTHER_PHONE, '123456')).rejects.toMatchObject({ code: 'otp_invalid' });

      expect((await events(PHONE)).slice(1)).toEqual([
        expect.objectContaining({ type: 'code_failed', reason: 'otp_expired', elapsed_ms: null }),
        expect.objectContaining({ type: 'code_sent' }),
        expect.objectContaining({
          type: 'code_verified',
          reason: null,
          purpose: 'sign_in',
          ip: CLIENT,
          elapsed_ms: 42_000,
        }),
      ]);
      expect(await events(OTHER_PHONE)).toEqual([]);
    });
  });

  describe('verify', () => {
    let service: Codes;
    let code: string;

    beforeEach(async () => {
      service = createService();
      await service.issue(signInScope(PHONE), { locale: 'en' });
      code = lastCodeTo(PHONE);
    });

    it('accepts the right code once, then answers otp_invalid', async () => {
      await expect(redeem(service, PHONE, code)).resolves.toBeUndefined();
      await expect(redeem(service, PHONE, code)).rejects.toMatchObject({ code: 'otp_invalid', status: 400 });

      const [row] = await rowsFor(PHONE);
      expect(row.consumedAt).toEqual(new Date(T0));
    });

    it('answers otp_invalid for a phone that never asked for a code', async () => {
      await expect(redeem(service, OTHER_PHONE, code)).rejects.toMatchObject({ code: 'otp_invalid' });
    });

    it('counts no guess that met no live code against the number: the owner’s next code still works', async () => {
      // The streak is the number's limit; the per-client one is kept out of the way.
      const strict = createService({ phoneFailureLimit: 100, maxConsecutiveFailures: 2 });
      await redeem(strict, PHONE, code);
      for (let guess = 0; guess < 5; guess++) {
        await expect(redeem(strict, PHONE, wrongCode(code))).rejects.toMatchObject({ code: 'otp_invalid' });
        await expect(redeem(strict, OTHER_PHONE, wrongCode(code))).rejects.toMatchObject({ code: 'otp_invalid' });
      }

      await strict.issue(signInScope(PHONE), { locale: 'en' });
      await expect(redeem(strict, PHONE, lastCodeTo(PHONE))).resolves.toBeUndefined();
    });

    it('accepts the code 1 ms before it expires', async () => {
      jest.setSystemTime(T0 + OTP_CONFIG.ttlMs - 1);
      await expect(redeem(service, PHONE, code)).resolves.toBeUndefined();
    });

    it('answers otp_expired exactly at the end of its lifetime, without counting an attempt', async () => {
      jest.setSystemTime(T0 + OTP_CONFIG.ttlMs);
      await expect(redeem(service, PHONE, code)).rejects.toMatchObject({ code: 'otp_expired', status: 400 });
      jest.setSystemTime(T0 + OTP_CONFIG.ttlMs + 60_000);
      await expect(redeem(service, PHONE, code)).rejects.toMatchObject({ code: 'otp_expired' });

      const [row] = await rowsFor(PHONE);
      expect(row.attempts).toBe(0);
      expect(row.consumedAt).toBeNull();
    });

    it('answers otp_invalid for a wrong code and counts the attempt', async () => {
      await expect(redeem(service, PHONE, wrongCode(code))).rejects.toMatchObject({ code: 'otp_invalid' });

      const [row] = await rowsFor(PHONE);
      expect(row.attempts).toBe(1);
      expect(row.consumedAt).toBeNull();
    });

    it('still accepts the right code after fewer wrong guesses than the limit', async () => {
      for (let i = 1; i < OTP_CONFIG.maxAttempts; i++) {
        await expect(redeem(service, PHONE, wrongCode(code))).rejects.toMatchObject({ code: 'otp_invalid' });
      }
      await expect(redeem(service, PHONE, code)).resolves.toBeUndefined();
    });

    it('answers otp_attempts_exceeded for any code, the right one included, once the limit is used up', async () => {
      for (let i = 0; i < OTP_CONFIG.maxAttempts; i++) {
        await expect(redeem(service, PHONE, wrongCode(code))).rejects.toMatchObject({ code: 'otp_invalid' });
      }

      await expect(redeem(service, PHONE, code)).rejects.toMatchObject({ code: 'otp_attempts_exceeded', status: 429 });
      await expect(redeem(service, PHONE, wrongCode(code))).rejects.toMatchObject({ code: 'otp_attempts_exceeded' });
      const [row] = await rowsFor(PHONE);
      expect(row.attempts).toBe(OTP_CONFIG.maxAttempts);
      expect(row.consumedAt).toBeNull();
    });

    it('refuses the right digits sent for another phone, because the hash covers the number', async () => {
      let otherCode: string;
      do {
        await service.issue(signInScope(OTHER_PHONE), { locale: 'en' });
        otherCode = lastCodeTo(OTHER_PHONE);
      } while (otherCode === code);

      await expect(redeem(service, OTHER_PHONE, code)).rejects.toMatchObject({ code: 'otp_invalid' });
    });

    it.each(['12345', '1234567', ''])(
      'answers validation_failed on otp_code for %j, which is not 6 digits, without counting an attempt',
      async (input) => {
        const rejection = redeem(service, PHONE, input);
        await expect(rejection).rejects.toMatchObject({
          code: 'validation_failed',
          problem: { errors: [{ field: 'otp_code', message: 'otp_code must be exactly 6 digits' }] },
        });

        const [row] = await rowsFor(PHONE);
        expect(row.attempts).toBe(0);
      },
    );

    it('lets exactly one of many parallel verifies of the right code succeed', async () => {
      const results = await Promise.allSettled(Array.from({ length: 10 }, () => redeem(service, PHONE, code)));

      expect(results.filter((result) => result.status === 'fulfilled')).toHaveLength(1);
      const codes = results
        .filter((result): result is PromiseRejectedResult => result.status === 'rejected')
        .map((result) => (result.reason as ProblemException).code);
      expect(codes).toHaveLength(9);
      for (const rejected of codes) expect(['otp_invalid', 'otp_attempts_exceeded']).toContain(rejected);
    });

    it('counts no more than the limit when wrong guesses arrive in parallel', async () => {
      const results = await Promise.allSettled(
        Array.from({ length: 10 }, () => redeem(service, PHONE, wrongCode(code))),
      );

      expect(results.every((result) => result.status === 'rejected')).toBe(true);
      const [row] = await rowsFor(PHONE);
      expect(row.attempts).toBe(OTP_CONFIG.maxAttempts);
      await expect(redeem(service, PHONE, code)).rejects.toMatchObject({ code: 'otp_attempts_exceeded' });
    });
  });
});
