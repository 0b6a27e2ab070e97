import type { ConfigType } from '@nestjs/config';
import { smsConfig, type SmsProviderConfig } from '../config';
import { MockSmsAdapter } from './adapters/mock-sms.adapter';
import { TwilioSmsAdapter } from './adapters/twilio-sms.adapter';
import { TwilioVerifyAdapter } from './adapters/twilio-verify.adapter';
import { WebhookSmsAdapter } from './adapters/webhook-sms.adapter';
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
  });
});
