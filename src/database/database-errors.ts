import { types } from 'node:util';
import { QueryFailedError } from 'typeorm';

/** A UNIQUE constraint rejected the write, on PostgreSQL (23505) or SQLite. */
export function isUniqueViolation(error: unknown): boolean {
  if (!(error instanceof QueryFailedError)) return false;
  const code = (error.driverError as { code?: string } | undefined)?.code;
  return code === '23505' || code === 'SQLITE_CONSTRAINT_UNIQUE';
}

/** PostgreSQL classes 08 (connection), 53 (resources), 57 (operator intervention: shutdown, timeouts). */
const UNAVAILABLE_SQLSTATE = /^(08|53|57)/;
const UNAVAILABLE_NODE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'SQLITE_BUSY',
]);
const UNAVAILABLE_MESSAGES =
  /Connection terminated|connection error|timeout exceeded when trying to connect|not queryable|connection is not open/i;

/**
 * The database could not be reached or gave up, as opposed to refusing a statement: the request
 * may succeed later, so it deserves a 503 with Retry-After rather than a 500.
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  const cause: unknown = error instanceof QueryFailedError ? error.driverError : error;
  // isNativeError also recognises errors made by Node core in another realm (Jest's sandbox).
  if (!(cause instanceof Error || types.isNativeError(cause))) return false;
  const code = (cause as { code?: unknown }).code;
  if (typeof code === 'string' && (UNAVAILABLE_NODE_CODES.has(code) || UNAVAILABLE_SQLSTATE.test(code))) return true;
  return UNAVAILABLE_MESSAGES.test(cause.message);
}
