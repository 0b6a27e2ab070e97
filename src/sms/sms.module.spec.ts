import type { ConfigType } from '@nestjs/config';
import type { smsConfig } from '../config';
import { MockSmsAdapter } from './adapters/mock-sms.adapter';
import { createSmsSender } from './sms.module';

function config(provider: string): ConfigType<typeof smsConfig> {
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

describe('createSmsSender', () => {
  it('binds the mock adapter for SMS_PROVIDER=mock', () => {
    expect(createSmsSender(config('mock'))).toBeInstanceOf(MockSmsAdapter);
  });

  it('stops the boot on an unknown provider, naming SMS_PROVIDER and the value', () => {
    expect(() => createSmsSender(config('carrier-pigeon'))).toThrow(/SMS_PROVIDER.*carrier-pigeon/);
  });
});
