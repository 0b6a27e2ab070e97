// Fresh, valid US numbers for the send-otp and verify-otp scenarios: index → E.164, no storage.
// NPA-2XX-XXXX in these area codes is FIXED_LINE_OR_MOBILE in libphonenumber-js/max, which is
// what the app's default PHONE_ALLOWED_TYPES accepts; checkPhoneSample() proves it for each run.
// The last six digits are the index's (modulo a million), so 10^d indices from a multiple of 10^d (d ≤ 6) are the
// numbers of one prefix: one E.164 number without its last d digits (the pumping scenario's).
import { parsePhoneNumberFromString } from 'libphonenumber-js/max';

const AREA_CODES = [
  201, 202, 203, 205, 206, 207, 208, 209, 210, 212, 213, 214, 215, 216, 217, 218, 219, 220, 223, 224, 225, 227, 228,
  229, 231, 234, 235, 239, 240, 248, 251, 252, 253, 254, 256, 260, 262, 267, 269, 270,
];
const PER_AREA_CODE = 1_000_000;

export const PHONE_CAPACITY = AREA_CODES.length * PER_AREA_CODE;

export function phoneAt(index: number): string {
  const areaCode = AREA_CODES[Math.floor(index / PER_AREA_CODE)];
  if (areaCode === undefined || index < 0)
    throw new Error(`phone index ${index} is past the generator's ${PHONE_CAPACITY}`);
  return `+1${areaCode}${2_000_000 + (index % PER_AREA_CODE)}`;
}

/** Hands out disjoint index ranges, so no two runs of one process ever reuse a number. */
export class PhoneAllocator {
  private next = 0;

  /** The first index of `count` numbers nobody else was given. */
  take(count: number): number {
    const start = this.next;
    if (start + count > PHONE_CAPACITY) throw new Error('the phone generator ran out of numbers; shorten the run');
    this.next += count;
    return start;
  }

  /**
   * The first index of every number of one prefix nobody else was given: the 10^`dropDigits`
   * numbers that differ only in their last `dropDigits` digits (prefixPhones lists them).
   */
  takePrefix(dropDigits: number): number {
    const size = prefixSize(dropDigits);
    this.next = Math.ceil(this.next / size) * size;
    return this.take(size);
  }
}

/** How many numbers a prefix holds when `dropDigits` digits are dropped; at most one area code's. */
function prefixSize(dropDigits: number): number {
  const size = 10 ** dropDigits;
  if (!Number.isInteger(dropDigits) || dropDigits < 1 || size > PER_AREA_CODE)
    throw new Error(`a prefix of the phone generator drops 1 to 6 digits, not ${dropDigits}`);
  return size;
}

/**
 * The numbers of the prefix that starts at index `start` (from PhoneAllocator.takePrefix), in
 * index order; throws unless they all share it and are numbers the app texts to.
 */
export function prefixPhones(start: number, dropDigits: number): string[] {
  const size = prefixSize(dropDigits);
  if (start % size) throw new Error(`phone index ${start} does not start a prefix of ${size} numbers`);
  const phones = Array.from({ length: size }, (_, i) => phoneAt(start + i));
  const prefix = phones[0].slice(0, -dropDigits);
  for (const phone of phones) {
    if (!phone.startsWith(prefix)) throw new Error(`generated phone ${phone} is not in the prefix ${prefix}`);
    checkPhone(phone);
  }
  return phones;
}

function checkPhone(phone: string): void {
  const parsed = parsePhoneNumberFromString(phone);
  const type = parsed?.isValid() ? parsed.getType() : 'INVALID';
  if (parsed?.number !== phone || !['FIXED_LINE_OR_MOBILE', 'MOBILE'].includes(type ?? '')) {
    throw new Error(`generated phone ${phone} is ${type} for libphonenumber-js/max; fix AREA_CODES`);
  }
}

/** Throws unless `size` numbers spread over the whole range are valid numbers the app texts to. */
export function checkPhoneSample(size = 2_000): number {
  const step = Math.floor(PHONE_CAPACITY / size);
  for (let i = 0; i < size; i++) checkPhone(phoneAt(i * step + (i % step)));
  return size;
}
