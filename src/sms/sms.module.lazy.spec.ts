import type { ConfigType } from '@nestjs/config';
import type { smsConfig } from '../config';
import { createSmsSender } from './sms.module';

const mockLoaded: string[] = [];
jest.mock('twilio', () => {
  mockLoaded.push('twilio');
  return jest.requireActual<object>('twilio');
});

const base = { appName: 'Acme', timeoutMs: 10_000, webOtpDomain: undefined };

describe('createSmsSender and the Twilio SDK', () => {
  it('does not load the Twilio SDK for the mock or webhook provider', () => {
    createSmsSender({ ...base, provider: 'mock', mock: { failureRate: 0, outbox: undefined } });
    createSmsSender({ ...base, provider: 'webhook', webhook: { url: 'https://gw.example.com', secret: 's' } });

    expect(mockLoaded).toEqual([]);
  });

  it('loads it once a Twilio provider is configured', () => {
    const config = {
      ...base,
      provider: 'twilio',
      twilio: {
        accountSid: 'AC' + '0'.repeat(32),
        authToken: 't',
        apiBaseUrl: undefined,
        sender: { from: '+12015550199' },
      },
    } as ConfigType<typeof smsConfig>;

    createSmsSender(config);

    expect(mockLoaded).toEqual(['twilio']);
  });
});
