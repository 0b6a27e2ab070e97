import { Inject, Injectable } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { parsePhoneNumberFromString } from 'libphonenumber-js/max';
import { phoneConfig } from '../config';
import { ProblemException } from './errors/problem.exception';

/** Digits, one leading `+`, and the separators people type; no letters, no non-ASCII digits. */
const PHONE_CHARACTERS = /^\+?[0-9 ().-]+$/;

/**
 * The one place phone numbers are parsed. Everything stored or compared is E.164, so
 * `+1 (201) 555-0123` and `+12015550123` are the same user.
 */
@Injectable()
export class PhoneNumberService {
  constructor(@Inject(phoneConfig.KEY) private readonly config: ConfigType<typeof phoneConfig>) {}

  normalize(input: string): string {
    const text = input.trim();
    if (!PHONE_CHARACTERS.test(text)) {
      throw invalid('A phone number may contain only digits, spaces, dashes, dots, brackets and a leading +.');
    }
    if (!text.startsWith('+') && !this.config.defaultRegion) {
      throw invalid('Include the country code, for example +12015550123.');
    }
    const phone = parsePhoneNumberFromString(text, { defaultCountry: this.config.defaultRegion, extract: false });
    if (!phone?.isValid()) {
      throw invalid(`${text} is not a valid phone number${phone?.country ? ` for ${phone.country}` : ''}.`);
    }
    return phone.number;
  }
}

function invalid(detail: string): ProblemException {
  return new ProblemException('invalid_phone_number', { detail, errors: [{ field: 'phone_number', message: detail }] });
}

/** `+12015550123` → `+1201*****23`: enough to correlate log lines, not enough to identify anyone. */
export function maskPhone(e164: string): string {
  if (e164.length <= 7) return '*'.repeat(e164.length);
  return e164.slice(0, 5) + '*'.repeat(e164.length - 7) + e164.slice(-2);
}
