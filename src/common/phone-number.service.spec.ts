import type { ConfigType } from '@nestjs/config';
import type { CountryCode } from 'libphonenumber-js/max';
import { ProblemException } from './errors/problem.exception';
import { maskPhone, phoneRegion, PhoneNumberService } from './phone-number.service';
import type { phoneConfig } from '../config';

function phones(defaultRegion?: CountryCode): PhoneNumberService {
  const config: ConfigType<typeof phoneConfig> = {
    defaultRegion,
    allowedCountries: new Set(),
    allowedTypes: new Set(['MOBILE', 'FIXED_LINE_OR_MOBILE']),
    refusedPrefixes: ['+881', '+870'],
  };
  return new PhoneNumberService(config);
}

/** The ProblemException `normalize` threw for `input`, failing the test if it threw anything else. */
function rejectionOf(service: PhoneNumberService, input: string): ProblemException {
  try {
    service.normalize(input);
  } catch (error) {
    expect(error).toBeInstanceOf(ProblemException);
    return error as ProblemException;
  }
  throw new Error(`expected ${JSON.stringify(input)} to be refused`);
}

describe('PhoneNumberService', () => {
  describe('normalize without a default region', () => {
    const service = phones();

    it.each([
      ['+12015550123', '+12015550123'],
      ['+1 (201) 555-0123', '+12015550123'],
      ['+1.201.555.0123', '+12015550123'],
      ['+1-201-555-0123', '+12015550123'],
      [' +44 7911 123456 ', '+447911123456'],
      ['+49 30 901820', '+4930901820'],
    ])('turns %j into %s', (input, e164) => {
      expect(service.normalize(input)).toBe(e164);
    });

    it.each([
      ['+1234567890', 'the seed sample, not a real number'],
      ['+1 201 555 012', 'one digit short'],
      ['+1 201 555 01234', 'one digit long'],
      ['+999 1234567', 'no such country code'],
      ['+1-800-FLOWERS', 'letters'],
      ['+١٢٠١٥٥٥٠١٢٣', 'Arabic-Indic digits'],
      ['+１２０１５５５０１２３', 'full-width digits'],
      ['', 'empty'],
      ['   ', 'blank'],
      ['+', 'a bare plus'],
      ['++12015550123', 'two pluses'],
      ['+1 201 555 0123 ext. 4', 'an extension'],
      ['+1 201\n555 0123', 'a line break'],
      ['+1\u00a0201\u00a0555\u00a00123', 'no-break spaces'],
    ])('refuses %j (%s) as invalid_phone_number on phone_number', (input) => {
      const error = rejectionOf(service, input);
      expect(error.code).toBe('invalid_phone_number');
      expect(error.getStatus()).toBe(400);
      expect(error.problem.errors).toEqual([{ field: 'phone_number', message: error.message }]);
      expect(error.message).not.toBe('');
    });

    it('asks for the country code when a national number comes without one', () => {
      const error = rejectionOf(service, '2015550123');
      expect(error.code).toBe('invalid_phone_number');
      expect(error.message).toMatch(/country code/);
      expect(error.problem.errors?.[0]).toMatchObject({ field: 'phone_number' });
    });

    it("names the number's country when it is not valid there", () => {
      expect(rejectionOf(service, '+33 6 1234 567').message).toBe('+33 6 1234 567 is not a valid phone number for FR.');
    });
  });

  describe('normalize with PHONE_DEFAULT_REGION', () => {
    it.each([
      ['US', '2015550123', '+12015550123'],
      ['US', '201-555-0123', '+12015550123'],
      ['US', '201.555.0123', '+12015550123'],
      ['GB', '07911 123456', '+447911123456'],
    ])('reads national input in %s: %j → %s', (region, input, e164) => {
      expect(phones(region as CountryCode).normalize(input)).toBe(e164);
    });

    it('reads the usual US national format with the area code in brackets', () => {
      expect(phones('US').normalize('(201) 555-0123')).toBe('+12015550123');
    });

    it('still reads international input for another country', () => {
      expect(phones('US').normalize('+44 7911 123456')).toBe('+447911123456');
    });

    it('refuses a national number that is not valid in the region', () => {
      expect(rejectionOf(phones('US'), '555-0123').code).toBe('invalid_phone_number');
    });
  });
});

describe('normalizeForSending with PHONE_REFUSED_PREFIXES', () => {
  it.each(['+881631234567', '+870773111111'])('refuses %s, a satellite number libphonenumber calls mobile', (input) => {
    expect(() => phones().normalizeForSending(input)).toThrow(
      expect.objectContaining({ code: 'phone_not_allowed' }) as Error,
    );
  });

  it('still sends to numbers outside the refused ranges', () => {
    expect(phones().normalizeForSending('+447911123456')).toBe('+447911123456');
  });
});

describe('phoneRegion', () => {
  it.each([
    ['+12015550123', 'US'],
    ['+14165550123', 'CA'],
    ['+447400123456', 'GB'],
    ['+881631234567', '+881'],
  ])('counts %s under %s', (e164, region) => {
    expect(phoneRegion(e164)).toBe(region);
  });
});

describe('maskPhone', () => {
  it('keeps the country code and first digits and the last two', () => {
    expect(maskPhone('+12015550123')).toBe('+1201*****23');
    expect(maskPhone('+447911123456')).toBe('+4479******56');
  });

  it('masks every character of short input', () => {
    expect(maskPhone('')).toBe('');
    expect(maskPhone('+1234')).toBe('*****');
    expect(maskPhone('+123456')).toBe('*******');
  });

  it('never reveals more than seven characters of a number', () => {
    for (const phone of ['+12345678', '+12015550123', '+4930901820123456']) {
      const masked = maskPhone(phone);
      expect(masked).toHaveLength(phone.length);
      expect(masked.replace(/\*/g, '')).toHaveLength(7);
    }
  });
});
