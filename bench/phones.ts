// Fresh, valid US numbers for the send-otp and verify-otp scenarios: index → E.164, no storage.
// NPA-2XX-XXXX in these area codes is FIXED_LINE_OR_MOBILE in libphonenumber-js/max, which is
// what the app's default PHONE_ALLOWED_TYPES accepts; checkPhoneSample() proves it for each run.
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
}

/** Throws unless `size` numbers spread over the whole range are valid numbers the app texts to. */
export function checkPhoneSample(size = 2_000): number {
  const step = Math.floor(PHONE_CAPACITY / size);
  for (let i = 0; i < size; i++) {
    const phone = phoneAt(i * step + (i % step));
    const parsed = parsePhoneNumberFromString(phone);
    const type = parsed?.isValid() ? parsed.getType() : 'INVALID';
    if (parsed?.number !== phone || !['FIXED_LINE_OR_MOBILE', 'MOBILE'].includes(type ?? '')) {
      throw new Error(`generated phone ${phone} is ${type} for libphonenumber-js/max; fix AREA_CODES`);
    }
  }
  return size;
}
