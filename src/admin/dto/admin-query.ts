import { Transform } from 'class-transformer';
import { decodeCursor } from '../cursor';

/**
 * Query values arrive as strings. These turn the well-formed ones into what they mean and leave
 * anything else as it came, for the field's validator to refuse with a 400 (never a 500, never a
 * silent default).
 */

/** Digits only (no sign, exponent, hex or blanks) become a number. */
export const IntegerParam = () =>
  Transform(({ value }: { value: unknown }) =>
    typeof value === 'string' && /^(0|[1-9][0-9]{0,15})$/.test(value) ? Number(value) : value,
  );

/** `true` and `false`, nothing else (no `1`, `yes` or empty). */
export const BooleanParam = () =>
  Transform(({ value }: { value: unknown }) => (value === 'true' ? true : value === 'false' ? false : value));

/** An ISO 8601 timestamp becomes a Date; see {@link parseTimestamp}. */
export const TimestampParam = () =>
  Transform(({ value }: { value: unknown }) => (typeof value === 'string' ? (parseTimestamp(value) ?? value) : value));

/** A `next_cursor` becomes the id it stands for. */
export const CursorParam = () =>
  Transform(({ value }: { value: unknown }) => (typeof value === 'string' ? (decodeCursor(value) ?? value) : value));

/**
 * A `+` in a query string is a space to URL decoding, so `?phone=+1201…` sent unencoded arrives as
 * ` 1201…`; a leading space is read as the `+` the admin meant.
 */
export const PhoneParam = () =>
  Transform(({ value }: { value: unknown }) => (typeof value === 'string' ? value.replace(/^ /, '+') : value));

export const TIMESTAMP_MESSAGE =
  '$property must be an ISO 8601 date or UTC/offset timestamp, e.g. 2026-07-08T12:34:56Z';
export const CURSOR_MESSAGE = '$property must be the next_cursor of an earlier page';

const TIMESTAMP = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?(?:Z|[+-](\d{2}):(\d{2})))?$/;

/**
 * `2026-07-08` (midnight UTC) or `2026-07-08T12:34:56Z` / `…+02:00`, with real calendar dates
 * (no 31 February rolling over into March); a time without a zone is refused as ambiguous.
 */
export function parseTimestamp(text: string): Date | undefined {
  const match = TIMESTAMP.exec(text);
  if (!match) return undefined;
  const [year, month, day, hour, minute, second, offsetHour, offsetMinute] = match
    .slice(1)
    .map((part) => Number(part ?? 0));
  const date = new Date(Date.UTC(year, month - 1, day));
  const real =
    year >= 1970 && date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
  if (!real || hour > 23 || minute > 59 || second > 59 || offsetHour > 23 || offsetMinute > 59) return undefined;
  const parsed = new Date(text);
  return Number.isNaN(parsed.getTime()) ? undefined : parsed;
}
