import { registerAs } from '@nestjs/config';
import { parsePhoneNumberFromString } from 'libphonenumber-js/max';
import { envDuration, envInt, envOptional, reject } from './env';
import { envSecret } from './secrets';

/** `OTP_TEST_NUMBERS=+12015550123:123456,…`: E.164 number → fixed code, no SMS sent. */
function envTestNumbers(name: string, codeLength: number): Map<string, string> {
  const numbers = new Map<string, string>();
  for (const entry of (envOptional(name) ?? '').split(',').filter((e) => e.trim())) {
    const [phone, code = ''] = entry.trim().split(':');
    const parsed = parsePhoneNumberFromString(phone, { extract: false });
    if (!parsed?.isValid()) {
      reject(name, `"${phone}" is not a valid international phone number`, undefined);
    } else if (!new RegExp(`^\\d{${codeLength}}$`).test(code)) {
      reject(name, `the code for ${phone} must be ${codeLength} digits (OTP_CODE_LENGTH)`, undefined);
    } else {
      numbers.set(parsed.number, code);
    }
  }
  return numbers;
}

export const otpConfig = registerAs('otp', () => {
  const codeLength = envInt('OTP_CODE_LENGTH', 6, { min: 4, max: 10 });
  return {
    secret: envSecret('OTP_SECRET', 'dev-only-otp-secret-change-me-in-production'),
    codeLength,
    ttlMs: envDuration('OTP_TTL', '5m'),
    maxAttempts: envInt('OTP_MAX_ATTEMPTS', 5, { min: 1, max: 100 }),
    resendCooldownMs: envDuration('OTP_RESEND_COOLDOWN', '60s', { allowZero: true }),
    phoneSendLimit: envInt('OTP_PHONE_SEND_LIMIT', 5, { min: 1 }),
    phoneSendWindowMs: envDuration('OTP_PHONE_SEND_WINDOW', '1h'),
    phoneDailySendLimit: envInt('OTP_PHONE_DAILY_SEND_LIMIT', 10, { min: 1 }),
    smsHourlyBudget: envInt('SMS_HOURLY_BUDGET', 1000, { min: 1 }),
    phoneFailureLimit: envInt('OTP_PHONE_FAILURE_LIMIT', 20, { min: 1 }),
    phoneFailureWindowMs: envDuration('OTP_PHONE_FAILURE_WINDOW', '1h'),
    maxConsecutiveFailures: envInt('OTP_MAX_CONSECUTIVE_FAILURES', 100, { min: 1 }),
    testNumbers: envTestNumbers('OTP_TEST_NUMBERS', codeLength),
  };
});
