import { registerAs } from '@nestjs/config';
import { isSupportedCountry, type CountryCode, type NumberType } from 'libphonenumber-js/max';
import { envOptional, envOrNone, reject } from './env';

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

export function envCountry(name: string, value: string): CountryCode | undefined {
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

/**
 * Non-geographic ranges nobody signs up from but toll fraud loves: international freephone and
 * shared cost (+800, +808), Inmarsat (+870), UPT (+878), satellite phones (+881), international
 * networks (+882, +883), humanitarian (+888) and international premium rate (+979). Their SMS
 * cost many times a mobile's.
 */
const REFUSED_PREFIXES = '+800,+808,+870,+878,+881,+882,+883,+888,+979';

function envPrefixes(name: string): string[] {
  const prefixes = (envOrNone(name, REFUSED_PREFIXES) ?? '')
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean);
  const bad = prefixes.find((prefix) => !/^\+[1-9][0-9]{0,14}$/.test(prefix));
  if (bad) reject(name, `expected E.164 prefixes such as +881 or +4470, got "${bad}"`, undefined);
  return prefixes;
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
    /** Numbers starting with any of these get no code, whatever their type; empty refuses none. */
    refusedPrefixes: envPrefixes('PHONE_REFUSED_PREFIXES'),
  };
});
