import { registerAs } from '@nestjs/config';
import { parsePhoneNumberFromString } from 'libphonenumber-js/max';
import { envDuration, envInt, envOneOf, envOptional, envRatio, reject } from './env';

export const FRAUD_ACTIONS = ['block', 'challenge', 'off'] as const;
export type FraudAction = (typeof FRAUD_ACTIONS)[number];

/** `SMS_SAFE_LIST=+12015550123,…`: numbers the conversion breaker never holds back. */
function envNumbers(name: string): Set<string> {
  const numbers = new Set<string>();
  for (const entry of (envOptional(name) ?? '')
    .split(',')
    .map((e) => e.trim())
    .filter(Boolean)) {
    const parsed = parsePhoneNumberFromString(entry, { extract: false });
    if (parsed?.isValid()) numbers.add(parsed.number);
    else reject(name, `"${entry}" is not a valid international phone number`, undefined);
  }
  return numbers;
}

/**
 * A challenge is a captcha, so it needs a provider to check one. With a provider it is the default:
 * anyone can trip a range by texting it, and a captcha, unlike a block, keeps nobody out (DESIGN §7).
 */
function envAction(name: string): FraudAction {
  const captcha = (envOptional('CAPTCHA_PROVIDER') ?? 'none').toLowerCase();
  const action = envOneOf(name, captcha === 'none' ? 'block' : 'challenge', FRAUD_ACTIONS);
  if (action === 'challenge' && captcha === 'none') {
    return reject(name, 'challenge asks for a captcha: set CAPTCHA_PROVIDER too, or choose block', action);
  }
  return action;
}

/**
 * The conversion breaker (SMS pumping): codes texted to a number prefix or a country that are
 * almost never entered mean someone is being paid per SMS we send there.
 */
export const fraudConfig = registerAs('fraud', () => ({
  action: envAction('FRAUD_ACTION'),
  windowMs: envDuration('FRAUD_WINDOW', '1h'),
  minConversion: envRatio('FRAUD_MIN_CONVERSION', 0.2),
  minSends: envInt('FRAUD_MIN_SENDS', 30, { min: 1 }),
  countryMinSends: envInt('FRAUD_COUNTRY_MIN_SENDS', 300, { min: 1 }),
  cooldownMs: envDuration('FRAUD_COOLDOWN', '15m'),
  /** A prefix is the E.164 number without this many last digits: 4 groups 10,000 numbers. */
  prefixDropDigits: envInt('FRAUD_PREFIX_DROP_DIGITS', 4, { min: 1, max: 8 }),
  safeList: envNumbers('SMS_SAFE_LIST'),
}));
