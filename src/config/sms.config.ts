import { registerAs } from '@nestjs/config';
import { EnvError, envDuration, envOptional, envRatio, envString, isProduction } from './env';

function envDomain(name: string): string | undefined {
  const value = envOptional(name)?.toLowerCase();
  if (value !== undefined && !/^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/.test(value)) {
    throw new EnvError(name, `expected a bare domain such as example.com, got "${value}"`);
  }
  return value;
}

function envUrl(name: string): string | undefined {
  const value = envOptional(name);
  if (value !== undefined && !(URL.canParse(value) && /^https?:$/.test(new URL(value).protocol))) {
    throw new EnvError(name, `expected an http(s) URL, got "${value}"`);
  }
  return value;
}

/**
 * Provider-specific settings are read here and checked for completeness by the SMS module's
 * factory, which knows which provider needs which.
 */
export const smsConfig = registerAs('sms', () => {
  const provider = envString('SMS_PROVIDER', 'mock').toLowerCase();
  if (provider === 'mock' && isProduction()) {
    throw new EnvError(
      'SMS_PROVIDER',
      'the mock provider does not deliver SMS and is refused in production; set twilio, twilio-verify or webhook',
    );
  }
  return {
    provider,
    appName: envString('APP_NAME', 'Phone OTP Auth'),
    timeoutMs: envDuration('SMS_TIMEOUT', '10s'),
    webOtpDomain: envDomain('SMS_WEBOTP_DOMAIN'),
    mockFailureRate: envRatio('SMS_MOCK_FAILURE_RATE', 0.05),
    // Unset means the default file; set but empty means no outbox at all.
    mockOutbox: process.env.SMS_MOCK_OUTBOX === undefined ? 'data/sms-outbox.jsonl' : envOptional('SMS_MOCK_OUTBOX'),
    twilio: {
      accountSid: envOptional('TWILIO_ACCOUNT_SID'),
      authToken: envOptional('TWILIO_AUTH_TOKEN'),
      from: envOptional('TWILIO_FROM'),
      messagingServiceSid: envOptional('TWILIO_MESSAGING_SERVICE_SID'),
      verifyServiceSid: envOptional('TWILIO_VERIFY_SERVICE_SID'),
      /** Where the Twilio SDK's requests go instead of *.twilio.com: a proxy, or a fake in tests. */
      apiBaseUrl: envUrl('TWILIO_API_BASE_URL'),
    },
    webhook: {
      url: envUrl('SMS_WEBHOOK_URL'),
      secret: envOptional('SMS_WEBHOOK_SECRET'),
    },
  };
});
