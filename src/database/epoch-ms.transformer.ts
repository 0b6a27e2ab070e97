import type { ValueTransformer } from 'typeorm';

/**
 * Instants are stored as epoch milliseconds in a BIGINT column: SQLite has no timestamp type, and
 * integer comparisons (`expires_at > :now`) behave identically on both dialects and time zones.
 * PostgreSQL returns BIGINT as a string, hence `Number()`.
 */
export const epochMs: ValueTransformer = {
  to: (value?: Date | null) => (value instanceof Date ? value.getTime() : value),
  from: (value?: string | number | null) => (value === null || value === undefined ? value : new Date(Number(value))),
};

/** A count in a BIGINT column (a TOTP step, a signature counter), as a number on both dialects. */
export const bigintNumber: ValueTransformer = {
  to: (value?: number | null) => value,
  from: (value?: string | number | null) => (value === null || value === undefined ? value : Number(value)),
};
