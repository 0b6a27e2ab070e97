import { registerAs } from '@nestjs/config';
import { parsePhoneNumberFromString } from 'libphonenumber-js/max';
import { envDuration, envInt, envOptional, isProduction, reject } from './env';
import { envCountry } from './phone.config';
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

/** NIST SP 800-63B §5.1.3.2: an out-of-band code has at least 6 digits and lives at most 10 minutes. */
const PRODUCTION_MIN_CODE_LENGTH = 6;
const PRODUCTION_MAX_TTL_MS = 10 * 60_000;

/** 4 digits are fine to type while developing; in production a 4-digit code falls to 10,000 guesses. */
function envCodeLength(name: string): number {
  const codeLength = envInt(name, 6, { min: 4, max: 10 });
  if (isProduction() && codeLength < PRODUCTION_MIN_CODE_LENGTH) {
    const problem = `must be at least ${PRODUCTION_MIN_CODE_LENGTH} digits in production (NIST SP 800-63B §5.1.3.2); set 6 to 10`;
    return reject(name, problem, codeLength);
  }
  return codeLength;
}

/** The longer a code lives, the longer a guesser or a shoulder-surfer has to use it. */
function envCodeTtl(name: string): number {
  const ttlMs = envDuration(name, '5m');
  if (isProduction() && ttlMs > PRODUCTION_MAX_TTL_MS) {
    return reject(
      name,
      'must be at most 10m in production (NIST SP 800-63B §5.1.3.2); set 10m or less, e.g. 5m',
      ttlMs,
    );
  }
  return ttlMs;
}

export interface CountryBudgets {
  /** Hourly SMS per listed country (ISO 3166). */
  byCountry: Map<string, number>;
  /** Hourly SMS for each country not listed, and for non-geographic numbers. */
  otherwise: number;
}

/**
 * `SMS_COUNTRY_BUDGETS=US:500,GB:200,*:100`: each country's own share of the hour, so that
 * pumping one country exhausts its budget and not everyone's. Unlisted countries get `*`, or a
 * quarter of SMS_HOURLY_BUDGET.
 */
function envCountryBudgets(name: string, hourlyBudget: number): CountryBudgets {
  const budgets: CountryBudgets = { byCountry: new Map(), otherwise: Math.max(1, Math.ceil(hourlyBudget / 4)) };
  for (const entry of (envOptional(name) ?? '')
    .split(',')
    .map((e) => e.trim())
    .filter(Boolean)) {
    const [country = '', limit = ''] = entry.split(':').map((part) => part.trim());
    if (!/^[1-9][0-9]*$/.test(limit)) {
      reject(name, `expected COUNTRY:LIMIT entries such as US:500 or *:100, got "${entry}"`, undefined);
    } else if (country === '*') {
      budgets.otherwise = Number(limit);
    } else {
      const code = envCountry(name, country);
      if (code) budgets.byCountry.set(code, Number(limit));
    }
  }
  return budgets;
}

export const otpConfig = registerAs('otp', () => {
  const codeLength = envCodeLength('OTP_CODE_LENGTH');
  const smsHourlyBudget = envInt('SMS_HOURLY_BUDGET', 1000, { min: 1 });
  return {
    secret: envSecret('OTP_SECRET'),
    codeLength,
    ttlMs: envCodeTtl('OTP_TTL'),
    maxAttempts: envInt('OTP_MAX_ATTEMPTS', 5, { min: 1, max: 100 }),
    resendCooldownMs: envDuration('OTP_RESEND_COOLDOWN', '60s', { allowZero: true }),
    phoneSendLimit: envInt('OTP_PHONE_SEND_LIMIT', 5, { min: 1 }),
    phoneSendWindowMs: envDuration('OTP_PHONE_SEND_WINDOW', '1h'),
    phoneDailySendLimit: envInt('OTP_PHONE_DAILY_SEND_LIMIT', 10, { min: 1 }),
    smsHourlyBudget,
    smsCountryBudgets: envCountryBudgets('SMS_COUNTRY_BUDGETS', smsHourlyBudget),
    phoneFailureLimit: envInt('OTP_PHONE_FAILURE_LIMIT', 20, { min: 1 }),
    phoneFailureWindowMs: envDuration('OTP_PHONE_FAILURE_WINDOW', '1h'),
    maxConsecutiveFailures: envInt('OTP_MAX_CONSECUTIVE_FAILURES', 100, { min: 1 }),
    testNumbers: envTestNumbers('OTP_TEST_NUMBERS', codeLength),
  };
});
