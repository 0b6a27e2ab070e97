import { fraudConfig, otpConfig, phoneConfig } from '.';
import { EnvError } from './env';

describe('SMS pumping settings', () => {
  const saved = process.env;

  beforeEach(() => {
    process.env = {};
  });

  afterEach(() => {
    process.env = saved;
  });

  describe('fraud (the conversion breaker)', () => {
    it('blocks a range converting under 20 % after 30 sends (300 for a country) for 15 minutes, over an hour, by default', () => {
      expect(fraudConfig()).toEqual({
        action: 'block',
        windowMs: 3_600_000,
        minConversion: 0.2,
        minSends: 30,
        countryMinSends: 300,
        cooldownMs: 900_000,
        prefixDropDigits: 4,
        safeList: new Set(),
      });
    });

    it('reads SMS_SAFE_LIST as E.164 numbers, whatever their format', () => {
      process.env.SMS_SAFE_LIST = '+1 (201) 555-0123, +447911123456';
      expect(fraudConfig().safeList).toEqual(new Set(['+12015550123', '+447911123456']));
    });

    it('refuses a safe-listed number that is not a valid phone number', () => {
      process.env.SMS_SAFE_LIST = '+12015550123,12345';
      expect(() => fraudConfig()).toThrow(
        new EnvError('SMS_SAFE_LIST', '"12345" is not a valid international phone number'),
      );
    });

    it('challenges instead of blocking by default once a CAPTCHA_PROVIDER can ask the captcha', () => {
      process.env.CAPTCHA_PROVIDER = 'turnstile';
      expect(fraudConfig().action).toBe('challenge');
      process.env.FRAUD_ACTION = 'block';
      expect(fraudConfig().action).toBe('block');
    });

    it('refuses FRAUD_ACTION=challenge without a CAPTCHA_PROVIDER to ask the captcha', () => {
      process.env.FRAUD_ACTION = 'challenge';
      expect(() => fraudConfig()).toThrow('Invalid environment variable FRAUD_ACTION: challenge asks for a captcha');
      process.env.CAPTCHA_PROVIDER = 'turnstile';
      expect(fraudConfig().action).toBe('challenge');
    });

    it.each([
      ['FRAUD_ACTION', 'warn'],
      ['FRAUD_MIN_CONVERSION', '1.5'],
      ['FRAUD_MIN_SENDS', '0'],
      ['FRAUD_COUNTRY_MIN_SENDS', 'many'],
      ['FRAUD_PREFIX_DROP_DIGITS', '9'],
      ['FRAUD_WINDOW', '0s'],
      ['FRAUD_COOLDOWN', 'soon'],
    ])('refuses %s=%s, naming it', (name, value) => {
      process.env[name] = value;
      expect(() => fraudConfig()).toThrow(`Invalid environment variable ${name}:`);
    });
  });

  describe('SMS_COUNTRY_BUDGETS', () => {
    it('gives every country a quarter of SMS_HOURLY_BUDGET by default', () => {
      process.env.SMS_HOURLY_BUDGET = '1000';
      expect(otpConfig().smsCountryBudgets).toEqual({ byCountry: new Map(), otherwise: 250 });
    });

    it('reads COUNTRY:LIMIT entries and * for the countries not listed', () => {
      process.env.SMS_COUNTRY_BUDGETS = 'us:800, GB:200,*:50';
      expect(otpConfig().smsCountryBudgets).toEqual({
        byCountry: new Map([
          ['US', 800],
          ['GB', 200],
        ]),
        otherwise: 50,
      });
    });

    it.each(['US', 'US:0', 'US:-1', 'XX:10', '*:lots'])('refuses the entry %s, naming the variable', (entry) => {
      process.env.SMS_COUNTRY_BUDGETS = entry;
      expect(() => otpConfig()).toThrow('Invalid environment variable SMS_COUNTRY_BUDGETS:');
    });
  });

  describe('PHONE_REFUSED_PREFIXES', () => {
    it('refuses the satellite, international-network and premium non-geographic ranges by default', () => {
      expect(phoneConfig().refusedPrefixes).toEqual([
        '+800',
        '+808',
        '+870',
        '+878',
        '+881',
        '+882',
        '+883',
        '+888',
        '+979',
      ]);
    });

    it('refuses none when set empty, and takes longer prefixes', () => {
      process.env.PHONE_REFUSED_PREFIXES = '';
      expect(phoneConfig().refusedPrefixes).toEqual([]);
      process.env.PHONE_REFUSED_PREFIXES = '+4470, +881';
      expect(phoneConfig().refusedPrefixes).toEqual(['+4470', '+881']);
    });

    it('refuses a prefix that is not + and digits', () => {
      process.env.PHONE_REFUSED_PREFIXES = '881';
      expect(() => phoneConfig()).toThrow('Invalid environment variable PHONE_REFUSED_PREFIXES:');
    });
  });
});
