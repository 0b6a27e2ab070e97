import { Logger } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import type { deliveryConfig, otpConfig, smsConfig } from '../config';
import type { AuditRecord, AuditTrail } from '../audit/audit-trail.service';
import type { Sql } from '../database/sql';
import { MetricsService } from '../metrics/metrics.service';
import { MemoryRateLimitStore } from '../rate-limit/memory-rate-limit.store';
import { SmsDeliveryError, type Channel, type CodeMessage, type SmsFailure } from '../sms/sms-sender';
import { openCode, sealContext } from './otp-code';
import { DeliveryChannels } from './delivery-channels.service';
import { OtpDeliveryService } from './otp-delivery.service';
import { OtpLimitsService } from './otp-limits.service';
import type { SendRefusals } from './send-refusals.service';
import {
  deliveryRow,
  type DeliveryAttempt,
  type NewSmsDelivery,
  type SmsDeliveriesRepository,
} from './sms-deliveries.repository';

type DeliveryConfig = ConfigType<typeof deliveryConfig>;

const US = '+12015550123';
const SUBJECT = { phoneNumber: US, purpose: 'sign_in', userId: null, ip: '198.51.100.7' };

/** Runs a transaction's steps, which here are fakes that yield no statement. */
const STEPS_AT_ONCE = {
  transaction<T>(work: () => Generator<never, T>): Promise<T> {
    const steps = work();
    let next = steps.next();
    while (!next.done) next = steps.next();
    return Promise.resolve(next.value);
  },
} as unknown as Sql;
const CODE_ID = 7;
const BR = '+5511961234567';

const OTP_CONFIG = {
  secret: 'unit-test-otp-secret',
  ttlMs: 300_000,
  phoneSendLimit: 2,
  phoneSendWindowMs: 3_600_000,
  phoneDailySendLimit: 10,
  smsHourlyBudget: 1000,
  smsCountryBudgets: { byCountry: new Map(), otherwise: 1000 },
} as ConfigType<typeof otpConfig>;
const SMS_CONFIG = { provider: 'mock', appName: 'Acme', timeoutMs: 10_000 } as ConfigType<typeof smsConfig>;

/** A provider that can deliver on every channel, fails on those in `failing`, and names messages `messageId`. */
function provider(failing: Partial<Record<Channel, SmsFailure>> = {}, messageId?: string) {
  const sent: CodeMessage[] = [];
  const sender = {
    channels: ['sms', 'whatsapp', 'voice'] as Channel[],
    sent,
    send: jest.fn((message: CodeMessage) => {
      const failure = failing[message.channel];
      if (failure) return Promise.reject(new SmsDeliveryError(`${message.channel} failed`, failure));
      sent.push(message);
      return Promise.resolve(messageId === undefined ? undefined : { messageId });
    }),
  };
  return sender;
}

describe('OtpDeliveryService', () => {
  let metrics: MetricsService;
  let warn: jest.SpyInstance;
  let deliveries: SmsDeliveriesRepository & { inserted: NewSmsDelivery[] };
  let events: AuditRecord[];
  let audit: AuditTrail;

  beforeEach(() => {
    metrics = new MetricsService();
    const inserted: NewSmsDelivery[] = [];
    deliveries = {
      inserted,
      // eslint-disable-next-line require-yield
      *insert(attempt: DeliveryAttempt) {
        inserted.push(deliveryRow(attempt));
      },
    } as unknown as SmsDeliveriesRepository & { inserted: NewSmsDelivery[] };
    const recorded: AuditRecord[] = [];
    events = recorded;
    audit = {
      // eslint-disable-next-line require-yield
      *record(event: AuditRecord) {
        recorded.push(event);
      },
    } as unknown as AuditTrail;
    warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
  });

  afterEach(() => warn.mockRestore());

  const settings = (config: Partial<DeliveryConfig>): DeliveryConfig => ({
    channels: ['sms'],
    countries: new Map(),
    fallback: 'on_failure',
    fallbackWindowMs: 120_000,
    ...config,
  });

  function delivery(config: Partial<DeliveryConfig>, sender = provider()): OtpDeliveryService {
    const refusals = { record: () => Promise.resolve() } as unknown as SendRefusals;
    const limits = new OtpLimitsService(new MemoryRateLimitStore(), OTP_CONFIG, metrics, refusals);
    return new OtpDeliveryService(
      sender,
      SMS_CONFIG,
      OTP_CONFIG,
      settings(config),
      limits,
      metrics,
      deliveries,
      audit,
      STEPS_AT_ONCE,
    );
  }

  function channels(config: Partial<DeliveryConfig>, sender = provider()): DeliveryChannels {
    return new DeliveryChannels(settings(config), sender, SMS_CONFIG);
  }

  describe('plan', () => {
    it('tries the channels of OTP_CHANNELS in their order, the asked one first', () => {
      const service = channels({ channels: ['whatsapp', 'sms', 'voice'] });
      expect(service.plan(US, undefined)).toEqual(['whatsapp', 'sms', 'voice']);
      expect(service.plan(US, 'voice')).toEqual(['voice', 'whatsapp', 'sms']);
    });

    it('refuses a channel that is not enabled with channel_not_enabled, naming the field', () => {
      const service = channels({ channels: ['sms'] });
      expect(() => service.plan(US, 'whatsapp')).toThrow(
        expect.objectContaining({
          code: 'channel_not_enabled',
          problem: expect.objectContaining({ errors: [{ field: 'channel', message: 'channel must be one of sms' }] }),
        }) as Error,
      );
    });

    it('keeps a channel to the countries its list names, and refuses it elsewhere', () => {
      const service = channels({ channels: ['whatsapp', 'sms'], countries: new Map([['whatsapp', new Set(['BR'])]]) });
      expect(service.plan(BR, undefined)).toEqual(['whatsapp', 'sms']);
      expect(service.plan(US, undefined)).toEqual(['sms']);
      expect(() => service.plan(US, 'whatsapp')).toThrow(
        expect.objectContaining({ code: 'channel_not_enabled' }) as Error,
      );
    });

    it('refuses a number no enabled channel may reach', () => {
      const service = channels({ channels: ['whatsapp'], countries: new Map([['whatsapp', new Set(['BR'])]]) });
      expect(() => service.plan(US, undefined)).toThrow(
        expect.objectContaining({ code: 'channel_not_enabled' }) as Error,
      );
    });
  });

  describe('deliver', () => {
    it('sends on the first channel and says so', async () => {
      const sender = provider();
      await expect(
        delivery({}, sender).deliver(CODE_ID, US, '123456', 'en', ['whatsapp', 'sms'], SUBJECT),
      ).resolves.toBe('whatsapp');
      expect(sender.sent.map((m) => [m.channel, m.code])).toEqual([['whatsapp', '123456']]);
    });

    it('sends the same code once on the next channel when the first fails', async () => {
      const sender = provider({ whatsapp: 'channel_refused' });
      await expect(
        delivery({}, sender).deliver(CODE_ID, US, '123456', 'en', ['whatsapp', 'sms', 'voice'], SUBJECT),
      ).resolves.toBe('sms');
      expect(sender.send.mock.calls.map(([m]) => [m.channel, m.code])).toEqual([
        ['whatsapp', '123456'],
        ['sms', '123456'],
      ]);
    });

    it('answers sms_delivery_failed when the fallback fails too, and tries no third channel', async () => {
      const sender = provider({ whatsapp: 'unavailable', sms: 'unavailable' });
      await expect(
        delivery({}, sender).deliver(CODE_ID, US, '1', 'en', ['whatsapp', 'sms', 'voice'], SUBJECT),
      ).rejects.toMatchObject({
        code: 'sms_delivery_failed',
      });
      expect(sender.send).toHaveBeenCalledTimes(2);
    });

    it('does not fall back with OTP_FALLBACK=off, nor for a number that is not valid', async () => {
      const off = provider({ whatsapp: 'unavailable' });
      await expect(
        delivery({ fallback: 'off' }, off).deliver(CODE_ID, US, '1', 'en', ['whatsapp', 'sms'], SUBJECT),
      ).rejects.toMatchObject({
        code: 'sms_delivery_failed',
      });
      const invalid = provider({ whatsapp: 'invalid_number' });
      await expect(
        delivery({}, invalid).deliver(CODE_ID, US, '1', 'en', ['whatsapp', 'sms'], SUBJECT),
      ).rejects.toMatchObject({
        code: 'invalid_phone_number',
      });
      expect([off.send, invalid.send].map((send) => send.mock.calls.length)).toEqual([1, 1]);
    });

    it("counts the fallback against the number's caps: past them the first failure stands", async () => {
      // OTP_PHONE_SEND_LIMIT=2: the two fallbacks below use it up, the third is not sent.
      const sender = provider({ whatsapp: 'unavailable' });
      const service = delivery({}, sender);
      await service.deliver(CODE_ID, US, '1', 'en', ['whatsapp', 'sms'], SUBJECT);
      await service.deliver(CODE_ID, US, '2', 'en', ['whatsapp', 'sms'], SUBJECT);

      await expect(service.deliver(CODE_ID, US, '3', 'en', ['whatsapp', 'sms'], SUBJECT)).rejects.toMatchObject({
        code: 'sms_delivery_failed',
      });
      expect(sender.sent.map((m) => m.code)).toEqual(['1', '2']);
    });

    it('records the attempt with the provider’s message id, and the code sealed for a receipt’s fallback', async () => {
      const sender = provider({}, 'SM1');
      await delivery({}, sender).deliver(CODE_ID, US, '123456', 'es', ['whatsapp', 'sms'], SUBJECT);

      expect(deliveries.inserted).toEqual([
        expect.objectContaining({
          otpCodeId: CODE_ID,
          channel: 'whatsapp',
          nextChannel: 'sms',
          locale: 'es',
          messageId: 'SM1',
          status: 'sent',
          fallbackAt: null,
        }),
      ]);
      const { sealedCode } = deliveries.inserted[0];
      expect(sealedCode).not.toContain('123456');
      expect(openCode(OTP_CONFIG.secret, sealedCode!, sealContext(CODE_ID, 'whatsapp'))).toBe('123456');
      expect(() => openCode(OTP_CONFIG.secret, sealedCode!, sealContext(CODE_ID + 1, 'whatsapp'))).toThrow();
    });

    it('keeps no sealed code where no fallback can follow (OTP_FALLBACK=off, or no next channel)', async () => {
      const sender = provider({}, 'SM2');
      await delivery({ fallback: 'off' }, sender).deliver(CODE_ID, US, '1', 'en', ['whatsapp', 'sms'], SUBJECT);
      await delivery({}, sender).deliver(CODE_ID, US, '1', 'en', ['sms'], SUBJECT);

      expect(deliveries.inserted.map((row) => [row.nextChannel, row.sealedCode])).toEqual([
        [null, null],
        [null, null],
      ]);
    });

    it('records a failed first attempt as fallen back, then the fallback’s own attempt', async () => {
      await delivery({}, provider({ whatsapp: 'unavailable' })).deliver(
        CODE_ID,
        US,
        '1',
        'en',
        ['whatsapp', 'sms'],
        SUBJECT,
      );

      expect(deliveries.inserted.map((row) => [row.channel, row.status, row.fallbackAt !== null])).toEqual([
        ['whatsapp', 'failed', true],
        ['sms', 'sent', false],
      ]);
    });

    it('records the code sent on the channel that took it, once, together with that attempt', async () => {
      await delivery({}, provider()).deliver(CODE_ID, US, '1', 'en', ['whatsapp', 'sms'], SUBJECT);
      await delivery({}, provider({ whatsapp: 'unavailable' })).deliver(
        CODE_ID,
        US,
        '2',
        'en',
        ['whatsapp', 'sms'],
        SUBJECT,
      );
      await expect(
        delivery({ fallback: 'off' }, provider({ sms: 'unavailable' })).deliver(
          CODE_ID,
          US,
          '3',
          'en',
          ['sms'],
          SUBJECT,
        ),
      ).rejects.toMatchObject({ code: 'sms_delivery_failed' });

      expect(events).toEqual([
        { type: 'code_sent', ...SUBJECT, channel: 'whatsapp' },
        { type: 'code_sent', ...SUBJECT, channel: 'sms' },
      ]);
    });

    it('records a fallback a receipt asked for as a further code sent, reason fallback', async () => {
      await delivery({}, provider()).resend(CODE_ID, '1', 'en', 'voice', SUBJECT);
      await delivery({}, provider({ voice: 'unavailable' })).resend(CODE_ID, '1', 'en', 'voice', SUBJECT);

      expect(events).toEqual([{ type: 'code_sent', reason: 'fallback', ...SUBJECT, channel: 'voice' }]);
    });

    it('counts each attempt in otp_delivery_total by channel, status and country', async () => {
      await delivery({}, provider({ whatsapp: 'unavailable' })).deliver(
        CODE_ID,
        BR,
        '1',
        'pt',
        ['whatsapp', 'sms'],
        SUBJECT,
      );

      const text = await metrics.registry.metrics();
      expect(text).toContain('otp_delivery_total{channel="whatsapp",status="failed",country="BR"} 1');
      expect(text).toContain('otp_delivery_total{channel="sms",status="sent",country="BR"} 1');
    });
  });

  it('refuses to start when OTP_CHANNELS names a channel the provider cannot deliver on', () => {
    const smsOnly = { ...provider(), channels: ['sms'] as Channel[] };
    expect(() => channels({ channels: ['sms', 'voice'] }, smsOnly)).toThrow(
      'Invalid environment variable OTP_CHANNELS: SMS_PROVIDER=mock cannot deliver codes on voice',
    );
  });
});
