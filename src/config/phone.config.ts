import { registerAs } from '@nestjs/config';
import { isSupportedCountry, type CountryCode, type NumberType } from 'libphonenumber-js/max';
import { envOptional, reject } from './env';

const NUMBER_TYPES: readonly NonNullable<NumberType>[] = [
  'MOBILE',
  'FIXED_LINE_OR_MOBILE',
  'FIXED_LINE',
  'PREMIUM_RATE',
  'TOLL_FREE',
  'SHARED_COST',
  'VOIP',
  'PERSONAL_NUMBER',
  'PAGER',
  'UAN',
  'VOICEMAIL',
];

function envCountry(name: string, value: string): CountryCode | undefined {
  const code = value.trim().toUpperCase();
  if (!isSupportedCountry(code)) {
    return reject(name, `expected ISO 3166 country codes such as US or GB, got "${value}"`, undefined);
  }
  return code;
}

function envList(name: string): string[] {
  return (envOptional(name) ?? '')
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean);
}

function envNumberTypes(name: string, fallback: NonNullable<NumberType>[]): Set<NumberType> {
  const types = envList(name).map((item) => item.toUpperCase());
  const unknown = types.find((type) => !NUMBER_TYPES.includes(type as NonNullable<NumberType>));
  if (unknown) reject(name, `unknown number type "${unknown}"; expected some of ${NUMBER_TYPES.join(', ')}`, undefined);
  return new Set((types.length ? types : fallback) as NumberType[]);
}

export const phoneConfig = registerAs('phone', () => {
  const region = envOptional('PHONE_DEFAULT_REGION');
  return {
    defaultRegion: region === undefined ? undefined : envCountry('PHONE_DEFAULT_REGION', region),
    /** Empty means every country. */
    allowedCountries: new Set(
      envList('PHONE_ALLOWED_COUNTRIES').flatMap((c) => envCountry('PHONE_ALLOWED_COUNTRIES', c) ?? []),
    ),
    allowedTypes: envNumberTypes('PHONE_ALLOWED_TYPES', ['MOBILE', 'FIXED_LINE_OR_MOBILE']),
  };
});
