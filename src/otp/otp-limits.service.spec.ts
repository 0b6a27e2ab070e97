import type { ConfigType } from '@nestjs/config';
import type { ProblemException } from '../common/errors/problem.exception';
import { MemoryRateLimitStore } from '../rate-limit/memory-rate-limit.store';
import type { otpConfig } from '../config';
import { MetricsService } from '../metrics/metrics.service';
import { OtpLimitsService } from './otp-limits.service';
import type { SendRefusals } from './send-refusals.service';

const PHONE = '+12015550123';
const OTHER = '+12015550124';
const CLIENT = '198.51.100.7';
const OWNER = '203.0.113.9';
const T0 = 1_783_512_000_000;
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** Every limit high enough to stay out of the way; each test lowers the one it is about. */
const CONFIG: ConfigType<typeof otpConfig> = {
  secret: 'unit-test-otp-secret',
  codeLength: 6,
  ttlMs: 5 * MINUTE,
  maxAttempts: 5,
  resendCooldownMs: 0,
  phoneSendLimit: 1000,
  phoneSendWindowMs: HOUR,
  phoneDailySendLimit: 1000,
  smsHourlyBudget: 1000,
  smsCountryBudgets: { byCountry: new Map(), otherwise: 1000 },
  phoneFailureLimit: 1000,
  phoneFailureWindowMs: HOUR,
  maxConsecutiveFailures: 1000,
  testNumbers: new Map(),
};

const SMS = { sendsSms: true };
const NO_SMS = { sendsSms: false };
const subject = (phoneNumber: string) => ({ phoneNumber, purpose: 'sign_in', ip: CLIENT });

describe('OtpLimitsService', () => {
  let now: number;
  let refusals: { record: jest.Mock };

  beforeEach(() => {
    now = T0;
    refusals = { record: jest.fn().mockResolvedValue(undefined) };
  });

  function createLimits(overrides: Partial<ConfigType<typeof otpConfig>> = {}): OtpLimitsService {
    return new OtpLimitsService(
      new MemoryRateLimitStore(() => now),
      { ...CONFIG, ...overrides },
      new MetricsService(),
      refusals as unknown as SendRefusals,
    );
  }

  /** The problem a refused call throws, for asserting its code and Retry-After together. */
  async function refusal(call: Promise<unknown>): Promise<{ code: string; retryAfter?: number }> {
    const error = (await call.then(
      () => {
        throw new Error('expected the call to be refused');
      },
      (e: unknown) => e,
    )) as ProblemException;
    return { code: error.code, retryAfter: error.problem.retryAfter };
  }

  describe('admitSend', () => {
    it('refuses a resend inside the cooldown with otp_resend_too_soon and the seconds left', async () => {
      const limits = createLimits({ resendCooldownMs: MINUTE });
      await limits.admitSend(PHONE, SMS, subject(PHONE));
      now += 15_500;

      await expect(refusal(limits.admitSend(PHONE, SMS, subject(PHONE)))).resolves.toEqual({
        code: 'otp_resend_too_soon',
        retryAfter: 45,
      });
      now += 44_500;
      await expect(limits.admitSend(PHONE, SMS, subject(PHONE))).resolves.toBeUndefined();
    });

    it('applies the cooldown per phone', async () => {
      const limits = createLimits({ resendCooldownMs: MINUTE });
      await limits.admitSend(PHONE, SMS, subject(PHONE));

      await expect(limits.admitSend(OTHER, SMS, subject(OTHER))).resolves.toBeUndefined();
    });

    it('has no cooldown when OTP_RESEND_COOLDOWN is 0s', async () => {
      const limits = createLimits({ resendCooldownMs: 0 });
      await limits.admitSend(PHONE, SMS, subject(PHONE));

      await expect(limits.admitSend(PHONE, SMS, subject(PHONE))).resolves.toBeUndefined();
    });

    it('refuses a send past the phone’s window cap with rate_limited until the window ends', async () => {
      const limits = createLimits({ phoneSendLimit: 3, phoneSendWindowMs: HOUR });
      for (let i = 0; i < 3; i++) await limits.admitSend(PHONE, SMS, subject(PHONE));
      now += 10 * MINUTE;

      await expect(refusal(limits.admitSend(PHONE, SMS, subject(PHONE)))).resolves.toEqual({
        code: 'rate_limited',
        retryAfter: 3000,
      });
      await expect(limits.admitSend(OTHER, SMS, subject(OTHER))).resolves.toBeUndefined();
      now += 50 * MINUTE;
      await expect(limits.admitSend(PHONE, SMS, subject(PHONE))).resolves.toBeUndefined();
    });

    it('refuses a send past the phone’s daily cap with rate_limited and a Retry-After in the next day', async () => {
      const limits = createLimits({ phoneSendLimit: 2, phoneSendWindowMs: HOUR, phoneDailySendLimit: 3 });
      await limits.admitSend(PHONE, SMS, subject(PHONE));
      await limits.admitSend(PHONE, SMS, subject(PHONE));
      now += HOUR;
      await limits.admitSend(PHONE, SMS, subject(PHONE));
      now += HOUR;

      await expect(refusal(limits.admitSend(PHONE, SMS, subject(PHONE)))).resolves.toEqual({
        code: 'rate_limited',
        retryAfter: (DAY - 2 * HOUR) / 1000,
      });
    });

    it('refuses any phone once the hourly SMS budget is spent', async () => {
      const limits = createLimits({ smsHourlyBudget: 2 });
      await limits.admitSend(PHONE, SMS, subject(PHONE));
      await limits.admitSend(OTHER, SMS, subject(OTHER));

      await expect(refusal(limits.admitSend('+12015550125', SMS, subject('+12015550125')))).resolves.toEqual({
        code: 'rate_limited',
        retryAfter: 3600,
      });
    });

    it('records each refusal with the kind of limit that refused it, and nothing for an admitted send', async () => {
      const limits = createLimits({ resendCooldownMs: MINUTE, phoneSendLimit: 1, smsHourlyBudget: 2 });
      await limits.admitSend(PHONE, SMS, subject(PHONE));
      expect(refusals.record).not.toHaveBeenCalled();

      await refusal(limits.admitSend(PHONE, SMS, subject(PHONE)));
      now += 2 * MINUTE;
      await refusal(limits.admitSend(PHONE, SMS, subject(PHONE)));
      await limits.admitSend(OTHER, SMS, subject(OTHER));
      await refusal(limits.admitSend('+12015550125', SMS, subject('+12015550125')));

      expect(refusals.record.mock.calls).toEqual([
        [subject(PHONE), 'cooldown'],
        [subject(PHONE), 'phone_limit'],
        [subject('+12015550125'), 'sms_budget'],
      ]);
    });

    it('neither charges nor refuses a send that texts nothing (a test number) against the SMS budget', async () => {
      const limits = createLimits({ smsHourlyBudget: 1 });
      await limits.admitSend(PHONE, NO_SMS, subject(PHONE));
      await limits.admitSend(PHONE, SMS, subject(PHONE));

      await expect(limits.admitSend(OTHER, NO_SMS, subject(OTHER))).resolves.toBeUndefined();
      await expect(refusal(limits.admitSend(OTHER, SMS, subject(OTHER)))).resolves.toMatchObject({
        code: 'rate_limited',
      });
    });

    it('still applies the cooldown and the phone caps to a send that texts nothing', async () => {
      const limits = createLimits({ resendCooldownMs: MINUTE, phoneSendLimit: 1 });
      await limits.admitSend(PHONE, NO_SMS, subject(PHONE));

      await expect(refusal(limits.admitSend(PHONE, NO_SMS, subject(PHONE)))).resolves.toMatchObject({
        code: 'otp_resend_too_soon',
      });
      now += MINUTE;
      await expect(refusal(limits.admitSend(PHONE, NO_SMS, subject(PHONE)))).resolves.toMatchObject({
        code: 'rate_limited',
      });
    });

    it('counts nothing for a refused send: a cooldown refusal does not use up the phone’s cap', async () => {
      const limits = createLimits({ resendCooldownMs: MINUTE, phoneSendLimit: 2, smsHourlyBudget: 2 });
      await limits.admitSend(PHONE, SMS, subject(PHONE));
      for (let i = 0; i < 5; i++) await refusal(limits.admitSend(PHONE, SMS, subject(PHONE)));
      now += MINUTE;

      await expect(limits.admitSend(PHONE, SMS, subject(PHONE))).resolves.toBeUndefined();
    });

    it('lets exactly one of many parallel sends through the cooldown', async () => {
      const limits = createLimits({ resendCooldownMs: MINUTE });

      const results = await Promise.allSettled(
        Array.from({ length: 10 }, () => limits.admitSend(PHONE, SMS, subject(PHONE))),
      );

      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    });

    it('never answers Retry-After 0, even with under a second left', async () => {
      const limits = createLimits({ resendCooldownMs: 1000 });
      await limits.admitSend(PHONE, SMS, subject(PHONE));
      now += 999;

      await expect(refusal(limits.admitSend(PHONE, SMS, subject(PHONE)))).resolves.toEqual({
        code: 'otp_resend_too_soon',
        retryAfter: 1,
      });
    });
  });

  describe('releaseCooldown', () => {
    it('lets the phone be sent to at once again, without forgiving the phone’s cap', async () => {
      const limits = createLimits({ resendCooldownMs: MINUTE, phoneSendLimit: 2 });
      await limits.admitSend(PHONE, SMS, subject(PHONE));

      await limits.releaseCooldown(PHONE);

      await expect(limits.admitSend(PHONE, SMS, subject(PHONE))).resolves.toBeUndefined();
      await limits.releaseCooldown(PHONE);
      await expect(refusal(limits.admitSend(PHONE, SMS, subject(PHONE)))).resolves.toMatchObject({
        code: 'rate_limited',
      });
    });

    it('releases only that phone’s cooldown', async () => {
      const limits = createLimits({ resendCooldownMs: MINUTE });
      await limits.admitSend(PHONE, SMS, subject(PHONE));
      await limits.admitSend(OTHER, SMS, subject(OTHER));

      await limits.releaseCooldown(PHONE);

      await expect(refusal(limits.admitSend(OTHER, SMS, subject(OTHER)))).resolves.toMatchObject({
        code: 'otp_resend_too_soon',
      });
    });

    it('does nothing when there is no cooldown', async () => {
      await expect(createLimits({ resendCooldownMs: 0 }).releaseCooldown(PHONE)).resolves.toBeUndefined();
    });
  });

  describe('admitGuess', () => {
    const LIVE = { liveCode: true };
    it('admits guesses until the phone has OTP_PHONE_FAILURE_LIMIT wrong ones, then answers rate_limited', async () => {
      const limits = createLimits({ phoneFailureLimit: 3, phoneFailureWindowMs: HOUR });
      for (let i = 0; i < 3; i++) {
        await expect(limits.admitGuess(PHONE, CLIENT)).resolves.toBeUndefined();
        await limits.recordWrongGuess(PHONE, CLIENT, LIVE);
      }
      now += 20 * MINUTE;

      await expect(refusal(limits.admitGuess(PHONE, CLIENT))).resolves.toEqual({
        code: 'rate_limited',
        retryAfter: 2400,
      });
      await expect(limits.admitGuess(OTHER, CLIENT)).resolves.toBeUndefined();
      now += 40 * MINUTE;
      await expect(limits.admitGuess(PHONE, CLIENT)).resolves.toBeUndefined();
    });

    it('does not count a guess by admitting it: only recorded wrong guesses count', async () => {
      const limits = createLimits({ phoneFailureLimit: 1 });
      for (let i = 0; i < 10; i++) await limits.admitGuess(PHONE, CLIENT);

      await expect(limits.admitGuess(PHONE, CLIENT)).resolves.toBeUndefined();
    });

    it('keeps the hourly failure count through a success: a success does not forgive wrong guesses', async () => {
      const limits = createLimits({ phoneFailureLimit: 2 });
      await limits.recordWrongGuess(PHONE, CLIENT, LIVE);
      await limits.recordSuccess(PHONE);
      await limits.recordWrongGuess(PHONE, CLIENT, LIVE);

      await expect(refusal(limits.admitGuess(PHONE, CLIENT))).resolves.toMatchObject({ code: 'rate_limited' });
    });

    it('counts a guess that met no live code against the client only, never towards the streak', async () => {
      const limits = createLimits({ phoneFailureLimit: 3, maxConsecutiveFailures: 3 });
      for (let i = 0; i < 3; i++) await limits.recordWrongGuess(PHONE, CLIENT, { liveCode: false });

      await expect(refusal(limits.admitGuess(PHONE, CLIENT))).resolves.toMatchObject({ code: 'rate_limited' });
      await expect(limits.admitGuess(PHONE, 'another client')).resolves.toBeUndefined();
    });

    it('refuses after OTP_MAX_CONSECUTIVE_FAILURES wrong guesses in a row, for a day', async () => {
      const limits = createLimits({ maxConsecutiveFailures: 3 });
      for (let i = 0; i < 3; i++) await limits.recordWrongGuess(PHONE, CLIENT, LIVE);

      await expect(refusal(limits.admitGuess(PHONE, CLIENT))).resolves.toEqual({
        code: 'rate_limited',
        retryAfter: DAY / 1000,
      });
    });

    it('ends the streak on a success: 2 wrong, a success, 2 wrong is still admitted', async () => {
      const limits = createLimits({ maxConsecutiveFailures: 3 });
      await limits.recordWrongGuess(PHONE, CLIENT, LIVE);
      await limits.recordWrongGuess(PHONE, CLIENT, LIVE);
      await limits.recordSuccess(PHONE);
      await limits.recordWrongGuess(PHONE, CLIENT, LIVE);
      await limits.recordWrongGuess(PHONE, CLIENT, LIVE);

      await expect(limits.admitGuess(PHONE, CLIENT)).resolves.toBeUndefined();
      await limits.recordWrongGuess(PHONE, CLIENT, LIVE);
      await expect(refusal(limits.admitGuess(PHONE, CLIENT))).resolves.toMatchObject({ code: 'rate_limited' });
    });

    it('keys the hourly failure cap on the client too: a stranger who trips it does not lock the owner out', async () => {
      const limits = createLimits({ phoneFailureLimit: 2 });
      await limits.recordWrongGuess(PHONE, CLIENT, LIVE);
      await limits.recordWrongGuess(PHONE, CLIENT, LIVE);

      await expect(refusal(limits.admitGuess(PHONE, CLIENT))).resolves.toMatchObject({ code: 'rate_limited' });
      await expect(limits.admitGuess(PHONE, OWNER)).resolves.toBeUndefined();
    });

    it('counts the consecutive-failure streak per phone, whichever clients the guesses came from', async () => {
      const limits = createLimits({ maxConsecutiveFailures: 2 });
      await limits.recordWrongGuess(PHONE, CLIENT, LIVE);
      await limits.recordWrongGuess(PHONE, OWNER, LIVE);

      await expect(refusal(limits.admitGuess(PHONE, 'a third client'))).resolves.toMatchObject({
        code: 'rate_limited',
      });
    });

    it('keeps one phone’s failures away from another', async () => {
      const limits = createLimits({ phoneFailureLimit: 1, maxConsecutiveFailures: 1 });
      await limits.recordWrongGuess(PHONE, CLIENT, LIVE);

      await expect(limits.admitGuess(OTHER, CLIENT)).resolves.toBeUndefined();
    });
  });
});
