import type { ConfigType } from '@nestjs/config';
import { FakeTwilio } from '../../test/helpers/fake-twilio';
import { smsConfig, type SmsProviderConfig } from '../config';
import { MockSmsAdapter } from './adapters/mock-sms.adapter';
import { TwilioSmsAdapter } from './adapters/twilio-sms.adapter';
import { TwilioVerifyAdapter } from './adapters/twilio-verify.adapter';
import { WebhookSmsAdapter } from './adapters/webhook-sms.adapter';
import { renderVoiceTwiml } from './code-message';
import { createSmsSender } from './sms.module';

type SmsConfig = ConfigType<typeof smsConfig>;

const ACCOUNT = { accountSid: 'AC' + '0'.repeat(32), authToken: 'token', apiBaseUrl: undefined };

function config(provider: SmsProviderConfig): SmsConfig {
  return { appName: 'Acme', timeoutMs: 10_000, webOtpDomain: undefined, ...provider };
}

const PROVIDERS = {
  mock: config({ provider: 'mock', mock: { failureRate: 0, outbox: undefined } }),
  twilio: config({ provider: 'twilio', twilio: { ...ACCOUNT, sender: { from: '+12015550199' } } }),
  twilioMessagingService: config({
    provider: 'twilio',
    twilio: { ...ACCOUNT, sender: { messagingServiceSid: 'MG' + '0'.repeat(32) } },
  }),
  twilioVerify: config({ provider: 'twilio-verify', twilio: { ...ACCOUNT, verifyServiceSid: 'VA' + '0'.repeat(32) } }),
  webhook: config({ provider: 'webhook', webhook: { url: 'https://gateway.example.com/sms', secret: 'secret' } }),
};

describe('createSmsSender', () => {
  it.each([
    ['mock', PROVIDERS.mock, MockSmsAdapter],
    ['twilio with TWILIO_FROM', PROVIDERS.twilio, TwilioSmsAdapter],
    ['twilio with a Messaging Service', PROVIDERS.twilioMessagingService, TwilioSmsAdapter],
    ['twilio-verify', PROVIDERS.twilioVerify, TwilioVerifyAdapter],
    ['webhook', PROVIDERS.webhook, WebhookSmsAdapter],
  ])('binds the adapter SMS_PROVIDER=%s selects', (_provider, settings, adapter) => {
    expect(createSmsSender(settings)).toBeInstanceOf(adapter);
  });

  it('gives only Twilio Verify a check() of its own', () => {
    expect(createSmsSender(PROVIDERS.twilioVerify).check).toEqual(expect.any(Function));
    expect(createSmsSender(PROVIDERS.twilio).check).toBeUndefined();
    expect(createSmsSender(PROVIDERS.webhook).check).toBeUndefined();
    expect(createSmsSender(PROVIDERS.mock).check).toBeUndefined();
  });

  it.each([
    ['mock', PROVIDERS.mock],
    ['twilio with TWILIO_FROM', PROVIDERS.twilio],
    ['twilio-verify', PROVIDERS.twilioVerify],
    ['webhook', PROVIDERS.webhook],
  ])('offers every channel with SMS_PROVIDER=%s', (_provider, settings) => {
    expect(createSmsSender(settings).channels).toEqual(['sms', 'whatsapp', 'voice']);
  });

  it('offers calls through a Messaging Service only with a number to call from', () => {
    const { twilioMessagingService } = PROVIDERS;
    expect(createSmsSender(twilioMessagingService).channels).toEqual(['sms', 'whatsapp']);
    if (twilioMessagingService.provider !== 'twilio') throw new Error('expected twilio');
    const withVoice = {
      ...twilioMessagingService,
      twilio: { ...twilioMessagingService.twilio, voiceFrom: '+12015550188' },
    };
    expect(createSmsSender(withVoice).channels).toEqual(['sms', 'whatsapp', 'voice']);
  });

  describe('from the environment, through smsConfig', () => {
    const saved = process.env;

    beforeEach(() => {
      process.env = { ...saved, NODE_ENV: 'production' };
      for (const name of Object.keys(process.env)) if (/^(SMS_|TWILIO_)/.test(name)) delete process.env[name];
    });

    afterEach(() => {
      process.env = saved;
    });

    it('binds the Twilio adapter for a complete production Twilio set-up', () => {
      Object.assign(process.env, {
        SMS_PROVIDER: 'twilio',
        TWILIO_ACCOUNT_SID: 'AC' + '1'.repeat(32),
        TWILIO_AUTH_TOKEN: 'c'.repeat(32),
        TWILIO_FROM: '+12015550199',
      });

      expect(createSmsSender(smsConfig())).toBeInstanceOf(TwilioSmsAdapter);
    });

    it('hands the Twilio adapter the app name and every channel setting', async () => {
      const twilio = await FakeTwilio.start();
      try {
        Object.assign(process.env, {
          APP_NAME: 'Acme',
          SMS_PROVIDER: 'twilio',
          TWILIO_ACCOUNT_SID: twilio.accountSid,
          TWILIO_AUTH_TOKEN: twilio.authToken,
          TWILIO_API_BASE_URL: twilio.url,
          TWILIO_MESSAGING_SERVICE_SID: 'MG' + '0'.repeat(32),
          TWILIO_FROM: '+12015550199',
          TWILIO_WHATSAPP_FROM: '+14155238886',
          TWILIO_WHATSAPP_CONTENT_SID: 'HX' + '1'.repeat(32),
          TWILIO_STATUS_CALLBACK_URL: 'https://auth.example.com/api/sms/status/twilio/',
        });
        const sender = createSmsSender(smsConfig());
        const message = { to: '+12015550123', code: '012345', body: 'text', locale: 'de' } as const;

        await sender.send({ ...message, channel: 'whatsapp' }, new AbortController().signal);
        await sender.send({ ...message, channel: 'voice' }, new AbortController().signal);

        expect(twilio.requests.map((request) => request.form)).toEqual([
          {
            To: 'whatsapp:+12015550123',
            From: 'whatsapp:+14155238886',
            ContentSid: 'HX' + '1'.repeat(32),
            ContentVariables: '{"1":"012345"}',
            StatusCallback: 'https://auth.example.com/api/sms/status/twilio/',
          },
          {
            To: '+12015550123',
            From: '+12015550199',
            Twiml: renderVoiceTwiml({ appName: 'Acme', code: '012345', locale: 'de' }),
            StatusCallback: 'https://auth.example.com/api/sms/status/twilio/',
          },
        ]);
      } finally {
        await twilio.close();
      }
    });
  });
});
