import { registerAs } from '@nestjs/config';
import { EnvError, envOptional, envRatio, envString, isProduction } from './env';

export const smsConfig = registerAs('sms', () => {
  const provider = envString('SMS_PROVIDER', 'mock').toLowerCase();
  if (provider === 'mock' && isProduction()) {
    throw new EnvError(
      'SMS_PROVIDER',
      'the mock provider does not deliver SMS and is refused in production; configure a real SMS provider',
    );
  }
  return {
    provider,
    appName: envString('APP_NAME', 'Phone OTP Auth'),
    mockFailureRate: envRatio('SMS_MOCK_FAILURE_RATE', 0.05),
    // Unset means the default file; set but empty means no outbox at all.
    mockOutbox: process.env.SMS_MOCK_OUTBOX === undefined ? 'data/sms-outbox.jsonl' : envOptional('SMS_MOCK_OUTBOX'),
  };
});
