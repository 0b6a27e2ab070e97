import type { DataSource } from 'typeorm';

/** A row of `otp_codes` with BIGINT instants as epoch-ms numbers (PostgreSQL returns them as strings). */
export interface OtpRow {
  id: number;
  phone_number: string;
  code_hash: string;
  attempts: number;
  created_at: number;
  expires_at: number;
  consumed_at: number | null;
  invalidated_at: number | null;
}

/** A row of `users`, booleans as booleans (SQLite returns 0/1). */
export interface UserRow {
  id: number;
  phone_number: string;
  username: string;
  first_name: string;
  last_name: string;
  is_phone_verified: boolean;
  is_active: boolean;
  date_joined: number;
  last_login: number | null;
}

type Raw = Record<string, unknown>;

/** Runs SQL with `:name` parameters on either dialect. */
export async function query(db: DataSource, sql: string, parameters: Record<string, unknown> = {}): Promise<Raw[]> {
  const [text, values] = db.driver.escapeQueryWithParameters(sql, parameters);
  return db.query<Raw[]>(text, values);
}

const toNumber = (value: unknown): number => Number(value);
const toNullableNumber = (value: unknown): number | null => (value === null ? null : Number(value));

/** Every code issued to `phoneNumber` (E.164), oldest first. */
export async function otpRows(db: DataSource, phoneNumber: string): Promise<OtpRow[]> {
  const rows = await query(db, 'SELECT * FROM otp_codes WHERE phone_number = :phoneNumber ORDER BY id', {
    phoneNumber,
  });
  return rows.map((row) => ({
    id: toNumber(row.id),
    phone_number: String(row.phone_number),
    code_hash: String(row.code_hash),
    attempts: toNumber(row.attempts),
    created_at: toNumber(row.created_at),
    expires_at: toNumber(row.expires_at),
    consumed_at: toNullableNumber(row.consumed_at),
    invalidated_at: toNullableNumber(row.invalidated_at),
  }));
}

/** The newest code issued to `phoneNumber`; fails the test when there is none. */
export async function latestOtpRow(db: DataSource, phoneNumber: string): Promise<OtpRow> {
  const rows = await otpRows(db, phoneNumber);
  if (!rows.length) throw new Error(`no otp_codes row for ${phoneNumber}`);
  return rows[rows.length - 1];
}

/** The users whose phone number is `phoneNumber` (E.164): zero or one, unless uniqueness broke. */
export async function userRows(db: DataSource, phoneNumber: string): Promise<UserRow[]> {
  const rows = await query(db, 'SELECT * FROM users WHERE phone_number = :phoneNumber ORDER BY id', { phoneNumber });
  return rows.map((row) => ({
    id: toNumber(row.id),
    phone_number: String(row.phone_number),
    username: String(row.username),
    first_name: String(row.first_name),
    last_name: String(row.last_name),
    is_phone_verified: Boolean(row.is_phone_verified),
    is_active: Boolean(row.is_active),
    date_joined: toNumber(row.date_joined),
    last_login: toNullableNumber(row.last_login),
  }));
}

/** Moves the newest code's expiry into the past, instead of waiting for OTP_TTL. */
export async function expireLatestCode(db: DataSource, phoneNumber: string): Promise<void> {
  const { id } = await latestOtpRow(db, phoneNumber);
  await query(db, 'UPDATE otp_codes SET expires_at = :past WHERE id = :id', { past: Date.now() - 1000, id });
}
