import type { ConfigType } from '@nestjs/config';
import type { smsConfig } from '../config';
import { EnvError } from '../config/env';
import { MockSmsAdapter } from './adapters/mock-sms.adapter';
import { TwilioSmsAdapter } from './adapters/twilio-sms.adapter';
import { TwilioVerifyAdapter } from './adapters/twilio-verify.adapter';
import { WebhookSmsAdapter } from './adapters/webhook-sms.adapter';
import { createSmsSender } from './sms.module';

type SmsConfig = ConfigType<typeof smsConfig>;

const ACCOUNT_SID = 'AC' + '0'.repeat(32);

function config(provider: string): SmsConfig {
  return {
    provider,
    appName: 'Acme',
    timeoutMs: 10_000,
    webOtpDomain: undefined,
    mockFailureRate: 0,
    mockOutbox: undefined,
    twilio: {
      accountSid: undefined,
      authToken: undefined,
      from: undefined,
      messagingServiceSid: undefined,
      verifyServiceSid: undefined,
      apiBaseUrl: undefined,
    },
    webhook: { url: undefined, secret: undefined },
  };
}

/** Every setting each provider needs, filled in. */
function complete(provider: string): SmsConfig {
  const base = config(provider);
  return {
    ...base,
    twilio: {
      ...base.twilio,
      accountSid: ACCOUNT_SID,
      authToken: 'token',
      from: '+12015550199',
      verifyServiceSid: 'VA' + '0'.repeat(32),
    },
    webhook: { url: 'https://gateway.example.com/sms', secret: 'secret' },
  };
}

function without(provider: string, group: 'twilio' | 'webhook', key: string): SmsConfig {
  const full = complete(provider);
  return { ...full, [group]: { ...full[group], [key]: undefined } };
}

describe('createSmsSender', () => {
  it('binds the mock adapter for SMS_PROVIDER=mock', () => {
    expect(createSmsSender(config('mock'))).toBeInstanceOf(MockSmsAdapter);
  });

  it('stops the boot on an unknown provider, naming SMS_PROVIDER and the value', () => {
    expect(() => createSmsSender(config('carrier-pigeon'))).toThrow(/SMS_PROVIDER.*carrier-pigeon/);
  });

  it.each([
    ['twilio', TwilioSmsAdapter],
    ['twilio-verify', TwilioVerifyAdapter],
    ['webhook', WebhookSmsAdapter],
  ])('binds the %s adapter when its settings are complete', (provider, adapter) => {
    expect(createSmsSender(complete(provider))).toBeInstanceOf(adapter);
  });

  it('binds Twilio Messaging with only a Messaging Service SID, no TWILIO_FROM', () => {
    const settings = without('twilio', 'twilio', 'from');
    settings.twilio.messagingServiceSid = 'MG' + '0'.repeat(32);

    expect(createSmsSender(settings)).toBeInstanceOf(TwilioSmsAdapter);
  });

  it('binds Twilio Verify without TWILIO_FROM, which only Messaging needs', () => {
    expect(createSmsSender(without('twilio-verify', 'twilio', 'from'))).toBeInstanceOf(TwilioVerifyAdapter);
  });

  it('gives only Twilio Verify a check() of its own', () => {
    expect(createSmsSender(complete('twilio-verify')).check).toEqual(expect.any(Function));
    expect(createSmsSender(complete('twilio')).check).toBeUndefined();
    expect(createSmsSender(complete('webhook')).check).toBeUndefined();
  });

  it.each<[string, 'twilio' | 'webhook', string, string]>([
    ['twilio', 'twilio', 'accountSid', 'TWILIO_ACCOUNT_SID'],
    ['twilio', 'twilio', 'authToken', 'TWILIO_AUTH_TOKEN'],
    ['twilio-verify', 'twilio', 'accountSid', 'TWILIO_ACCOUNT_SID'],
    ['twilio-verify', 'twilio', 'authToken', 'TWILIO_AUTH_TOKEN'],
    ['twilio-verify', 'twilio', 'verifyServiceSid', 'TWILIO_VERIFY_SERVICE_SID'],
    ['webhook', 'webhook', 'url', 'SMS_WEBHOOK_URL'],
    ['webhook', 'webhook', 'secret', 'SMS_WEBHOOK_SECRET'],
  ])('stops the boot of SMS_PROVIDER=%s without %s.%s, naming %s', (provider, group, key, variable) => {
    const load = () => createSmsSender(without(provider, group, key));

    expect(load).toThrow(EnvError);
    expect(load).toThrow(`Invalid environment variable ${variable}: required when SMS_PROVIDER=${provider}`);
  });

  it('stops the boot of SMS_PROVIDER=twilio with neither TWILIO_FROM nor TWILIO_MESSAGING_SERVICE_SID, naming both', () => {
    const load = () => createSmsSender(without('twilio', 'twilio', 'from'));

    expect(load).toThrow(EnvError);
    expect(load).toThrow(/TWILIO_FROM.*TWILIO_MESSAGING_SERVICE_SID/);
  });

  it('stops the boot with an account SID that is not one (an API key SK…), naming TWILIO_ACCOUNT_SID', () => {
    const settings = complete('twilio');
    settings.twilio.accountSid = 'SK' + '0'.repeat(32);

    expect(() => createSmsSender(settings)).toThrow('TWILIO_ACCOUNT_SID');
  });
});
