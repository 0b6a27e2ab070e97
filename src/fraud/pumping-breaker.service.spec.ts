import { Logger } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { ProblemException } from '../common/errors/problem.exception';
import type { fraudConfig, otpConfig } from '../config';
import { MetricsService } from '../metrics/metrics.service';
import type { HttpAdapterHost } from '@nestjs/core';
import type { ConversionStore } from './conversion.store';
import { PausedRanges } from './paused-ranges';
import { MemoryConversionStore } from './memory-conversion.store';
import { PumpingBreaker } from './pumping-breaker.service';

type FraudConfig = ConfigType<typeof fraudConfig>;

/** PausedRanges reads only the test numbers from the OTP settings. */
const OTP_CONFIG = { testNumbers: new Map() } as ConfigType<typeof otpConfig>;
const NOT_CHALLENGED = { captchaPassed: false };

const T0 = new Date('2026-07-08T12:00:00.000Z').getTime();

const CONFIG: FraudConfig = {
  action: 'block',
  windowMs: 3_600_000,
  minConversion: 0.2,
  minSends: 5,
  countryMinSends: 20,
  cooldownMs: 15 * 60_000,
  prefixDropDigits: 4,
  safeList: new Set(),
};

/** The `i`th number of a prefix: `+1201555` → `+12015551000`, `+12015551001`, … (all US). */
const number = (prefix: string, i: number) => `${prefix}${1000 + i}`;
const OTHER_COUNTRY = '+447911123456';

describe('PumpingBreaker', () => {
  let metrics: MetricsService;
  let store: MemoryConversionStore;
  let warn: jest.SpyInstance;

  function breaker(overrides: Partial<FraudConfig> = {}, on: ConversionStore = store): PumpingBreaker {
    const config = { ...CONFIG, ...overrides };
    return new PumpingBreaker(
      on,
      config,
      metrics,
      new PausedRanges({} as HttpAdapterHost, config, OTP_CONFIG, metrics),
    );
  }

  /** Texts `count` numbers of `prefix`, none of whose codes is ever entered. */
  async function pump(target: PumpingBreaker, prefix: string, count: number): Promise<void> {
    for (let i = 0; i < count; i++) await target.recordSend(number(prefix, i), NOT_CHALLENGED);
  }

  const advance = (ms: number) => jest.setSystemTime(Date.now() + ms);

  beforeEach(() => {
    jest.useFakeTimers({ now: T0, doNotFake: ['nextTick', 'setImmediate', 'queueMicrotask'] });
    metrics = new MetricsService();
    store = new MemoryConversionStore(CONFIG);
    warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
  });

  afterEach(() => {
    warn.mockRestore();
    jest.useRealTimers();
  });

  describe('a number prefix', () => {
    it('refuses sends once minSends of its codes went unverified, with a Retry-After of the cooldown', async () => {
      const service = breaker();
      await pump(service, '+1201555', CONFIG.minSends - 1);
      await expect(service.screen(number('+1201555', 99))).resolves.toBe('none');

      await service.recordSend(number('+1201555', 4), NOT_CHALLENGED);

      const screening = service.screen(number('+1201555', 99));
      await expect(screening).rejects.toBeInstanceOf(ProblemException);
      await expect(screening).rejects.toMatchObject({ code: 'rate_limited', problem: { retryAfter: 900 } });
    });

    it('counts the Retry-After down, and lets sends through again once the cooldown has passed', async () => {
      const service = breaker();
      await pump(service, '+1201555', CONFIG.minSends);

      advance(5 * 60_000 + 500);
      await expect(service.screen(number('+1201555', 0))).rejects.toMatchObject({ problem: { retryAfter: 600 } });
      advance(10 * 60_000 - 1_000);
      await expect(service.screen(number('+1201555', 0))).rejects.toMatchObject({ problem: { retryAfter: 1 } });
      advance(500);
      await expect(service.screen(number('+1201555', 0))).resolves.toBe('none');
    });

    it('asks for a captcha instead of refusing when FRAUD_ACTION is challenge', async () => {
      const service = breaker({ action: 'challenge' });
      await pump(service, '+1201555', CONFIG.minSends);

      await expect(service.screen(number('+1201555', 99))).resolves.toBe('challenge');
    });

    it('holds back only its own numbers: another prefix of the same country still screens none', async () => {
      const service = breaker();
      await pump(service, '+1201555', CONFIG.minSends);

      await expect(service.screen(number('+1201556', 0))).resolves.toBe('none');
      await expect(service.screen(number('+1202555', 0))).resolves.toBe('none');
    });

    it('does not trip while its codes are verified often enough', async () => {
      const service = breaker();
      for (let i = 0; i < 4 * CONFIG.minSends; i++) {
        await service.recordSend(number('+1201555', i), NOT_CHALLENGED);
        // One code in three entered: above the 20 % minimum.
        if (i % 3 === 0) await service.recordVerified(number('+1201555', i));
      }

      await expect(service.screen(number('+1201555', 99))).resolves.toBe('none');
    });
  });

  describe('a country', () => {
    it('trips when its sends spread over many prefixes, each under minSends', async () => {
      const service = breaker();
      const prefixes = ['+1201555', '+1201556', '+1201557', '+1201558', '+1201559'];
      for (const prefix of prefixes.slice(0, -1)) await pump(service, prefix, CONFIG.minSends - 1);
      await pump(service, prefixes[4], CONFIG.minSends - 2);
      await expect(service.screen(number('+1202555', 0))).resolves.toBe('none');

      await service.recordSend(number(prefixes[4], 3), NOT_CHALLENGED);

      await expect(service.screen(number('+1202555', 0))).rejects.toMatchObject({
        code: 'rate_limited',
        problem: { retryAfter: 900 },
      });
      await expect(service.screen(OTHER_COUNTRY)).resolves.toBe('none');
    });
  });

  describe('the count is the gate', () => {
    it('refuses a send that screened clean but met the trip when counted (another request tripped it meanwhile)', async () => {
      const service = breaker();
      await expect(service.screen(number('+1201555', 99))).resolves.toBe('none');
      await pump(service, '+1201555', CONFIG.minSends);

      await expect(service.recordSend(number('+1201555', 99), NOT_CHALLENGED)).rejects.toMatchObject({
        code: 'rate_limited',
        problem: { retryAfter: 900 },
      });
    });

    it('with FRAUD_ACTION=challenge, asks for the captcha the send skipped, and admits one that passed it', async () => {
      const service = breaker({ action: 'challenge' });
      await pump(service, '+1201555', CONFIG.minSends);

      await expect(service.recordSend(number('+1201555', 99), NOT_CHALLENGED)).rejects.toMatchObject({
        code: 'captcha_required',
      });
      await expect(service.recordSend(number('+1201555', 99), { captchaPassed: true })).resolves.toBeUndefined();
    });
  });

  describe('SMS_SAFE_LIST', () => {
    // In the prefix, outside the numbers pump() texts.
    const SAFE = '+12015550123';

    it('does not count sends to a listed number', async () => {
      const service = breaker({ safeList: new Set([SAFE]) });
      for (let i = 0; i < 3 * CONFIG.minSends; i++) await service.recordSend(SAFE, NOT_CHALLENGED);
      await pump(service, '+1201555', CONFIG.minSends - 1);

      await expect(service.screen(number('+1201555', 99))).resolves.toBe('none');
    });

    it('never holds back a listed number, even in a tripped prefix', async () => {
      const service = breaker({ safeList: new Set([SAFE]) });
      await pump(service, '+1201555', CONFIG.minSends);

      await expect(service.screen(number('+1201555', 99))).rejects.toBeInstanceOf(ProblemException);
      await expect(service.screen(SAFE)).resolves.toBe('none');
      await expect(service.recordSend(SAFE, NOT_CHALLENGED)).resolves.toBeUndefined();
    });
  });

  describe('FRAUD_ACTION=off', () => {
    it('counts nothing and refuses nothing', async () => {
      const recordSend = jest.spyOn(store, 'recordSend');
      const recordVerified = jest.spyOn(store, 'recordVerified');
      const trippedFor = jest.spyOn(store, 'trippedFor');
      const service = breaker({ action: 'off' });

      await pump(service, '+1201555', 10 * CONFIG.minSends);
      await service.recordVerified(number('+1201555', 0));

      await expect(service.screen(number('+1201555', 99))).resolves.toBe('none');
      expect(recordSend).not.toHaveBeenCalled();
      expect(recordVerified).not.toHaveBeenCalled();
      expect(trippedFor).not.toHaveBeenCalled();
    });
  });

  describe('when the store fails', () => {
    const unavailable = () => new ProblemException('service_unavailable', { retryAfter: 5 });

    it('swallows a failure to count a verified code, which must not undo a sign-in, and logs it', async () => {
      const failing = { recordVerified: jest.fn(() => Promise.reject(unavailable())) };
      const service = breaker({}, failing as unknown as ConversionStore);

      await expect(service.recordVerified(number('+1201555', 0))).resolves.toBeUndefined();

      expect(failing.recordVerified).toHaveBeenCalledWith(['country:US', 'prefix:+1201555'], T0);
      expect(warn).toHaveBeenCalledWith(expect.stringMatching(/Could not count a verified code/));
    });

    it('refuses the send when it cannot tell whether the number is held back', async () => {
      const failing = { trippedFor: jest.fn(() => Promise.reject(unavailable())) };
      const service = breaker({}, failing as unknown as ConversionStore);

      await expect(service.screen(number('+1201555', 0))).rejects.toMatchObject({ code: 'service_unavailable' });
    });
  });

  describe('metrics and logs', () => {
    it('counts trips by scope and action, refusals by the breaker, and screened sends and verifications by country', async () => {
      const service = breaker();
      await service.recordVerified(number('+1201556', 0));
      await pump(service, '+1201555', CONFIG.minSends);
      await expect(service.screen(number('+1201555', 99))).rejects.toMatchObject({ code: 'rate_limited' });
      await expect(service.screen(number('+1201555', 98))).rejects.toMatchObject({ code: 'rate_limited' });

      const text = await metrics.registry.metrics();
      expect(text).toContain('otp_breaker_trips_total{scope="prefix",action="block"} 1');
      expect(text).toContain('otp_send_refusals_total{reason="breaker"} 2');
      expect(text).toContain(`otp_screened_sends_total{country="US"} ${CONFIG.minSends}`);
      expect(text).toContain('otp_screened_verifications_total{country="US"} 1');
    });

    it('warns of a trip naming the prefix, never a whole number', async () => {
      await pump(breaker(), '+1201555', CONFIG.minSends);

      expect(warn).toHaveBeenCalledTimes(1);
      const [message] = warn.mock.calls[0] as [string];
      expect(message).toMatch(/^Conversion breaker tripped for prefix \+1201555: .*20%.*block for 900s$/);
      expect(message).not.toMatch(/\+1201555\d/);
    });
  });
});
