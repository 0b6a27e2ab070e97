import { Inject, Injectable } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { parsePhoneNumberFromString, type NumberType, type PhoneNumber } from 'libphonenumber-js/max';
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

  /** E.164 for any valid number; what verify-otp and lookups use. */
  normalize(input: string): string {
    return this.parse(input).number;
  }

  /**
   * E.164 for a number codes may be texted to. Premium-rate, shared-cost, toll-free, VoIP and
   * pager numbers are how SMS-pumping fraud gets paid, so only the allowed types and countries pass.
   */
  normalizeForSending(input: string): string {
    const phone = this.parse(input);
    if (this.config.refusedPrefixes.some((prefix) => phone.number.startsWith(prefix))) {
      throw notAllowed('Codes are not sent to numbers in this range.');
    }
    if (this.config.allowedCountries.size && !(phone.country && this.config.allowedCountries.has(phone.country))) {
      throw notAllowed(`Codes are not sent to numbers in ${phone.country ?? 'this numbering plan'}.`);
    }
    const type = phone.getType();
    if (!this.config.allowedTypes.has(type)) {
      throw notAllowed(
        `Codes are only sent to ${describeTypes(this.config.allowedTypes)} numbers, and this is ${describe(type)}.`,
      );
    }
    return phone.number;
  }

  private parse(input: string): PhoneNumber {
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
    remember(phone);
    return phone;
  }
}

function invalid(detail: string): ProblemException {
  return new ProblemException('invalid_phone_number', { detail, errors: [{ field: 'phone_number', message: detail }] });
}

function notAllowed(detail: string): ProblemException {
  return new ProblemException('phone_not_allowed', { detail, errors: [{ field: 'phone_number', message: detail }] });
}

function describe(type: NumberType): string {
  return type ? `a ${type.toLowerCase().replace(/_/g, '-')} number` : 'a number of unknown type';
}

function describeTypes(types: Set<NumberType>): string {
  return [...types].map((type) => (type ?? 'unknown').toLowerCase().replace(/_/g, '-')).join(' or ');
}

/**
 * Where a number's SMS are counted and budgeted: its ISO country (`US`, `GB`), or its calling code
 * for the non-geographic ranges (`+881`). Call it with a number normalize() accepted.
 */
export function phoneRegion(e164: string): string {
  const known = regions.get(e164);
  if (known) return known;
  const phone = parsePhoneNumberFromString(e164, { extract: false });
  return phone ? remember(phone) : `+${e164.slice(1, 4)}`;
}

/**
 * The regions of the numbers last parsed: a send asks for its number's region three times (the
 * breaker's check, the country budget, the breaker's count) and a sign-in once more for its audit
 * events, and parsing is most of what a send costs before its SMS (docs/benchmarks.md, "SMS
 * pumping").
 */
const regions = new Map<string, string>();
const MAX_REGIONS = 1_000;

function remember(phone: PhoneNumber): string {
  const region = phone.country ?? `+${phone.countryCallingCode}`;
  if (regions.size >= MAX_REGIONS) regions.delete(regions.keys().next().value!);
  regions.set(phone.number, region);
  return region;
}

/** `+12015550123` → `+1201*****23`: enough to correlate log lines, not enough to identify anyone. */
export function maskPhone(e164: string): string {
  if (e164.length <= 7) return '*'.repeat(e164.length);
  return e164.slice(0, 5) + '*'.repeat(e164.length - 7) + e164.slice(-2);
}
