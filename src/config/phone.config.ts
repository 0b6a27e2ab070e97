import { registerAs } from '@nestjs/config';
import { isSupportedCountry, type CountryCode } from 'libphonenumber-js/max';
import { EnvError, envOptional } from './env';

function envRegion(name: string): CountryCode | undefined {
  const value = envOptional(name)?.toUpperCase();
  if (value !== undefined && !isSupportedCountry(value)) {
    throw new EnvError(name, `expected an ISO 3166 country code such as US or GB, got "${value}"`);
  }
  return value;
}

export const phoneConfig = registerAs('phone', () => ({
  defaultRegion: envRegion('PHONE_DEFAULT_REGION'),
}));
