import type { DataSource } from 'typeorm';
import { query } from './db-rows';
import { decodeJwt } from './jwt';
import { requestCode, type SignedIn } from './sign-in';
import type { TestApp } from './test-app';

/** A row of `sessions` with BIGINT instants as epoch-ms numbers (PostgreSQL returns them as strings). */
export interface SessionRow {
  id: string;
  user_id: number;
  refresh_jti: string;
  previous_refresh_jti: string | null;
  rotated_at: number;
  created_at: number;
  last_used_at: number;
  expires_at: number;
  revoked_at: number | null;
  revoked_reason: string | null;
  user_agent: string | null;
  ip: string | null;
}

const toNullableNumber = (value: unknown): number | null => (value === null ? null : Number(value));
/** Text columns come back as strings on both dialects. */
const toNullableString = (value: unknown): string | null => (value === null ? null : (value as string));

function toSessionRow(row: Record<string, unknown>): SessionRow {
  return {
    id: String(row.id),
    user_id: Number(row.user_id),
    refresh_jti: String(row.refresh_jti),
    previous_refresh_jti: toNullableString(row.previous_refresh_jti),
    rotated_at: Number(row.rotated_at),
    created_at: Number(row.created_at),
    last_used_at: Number(row.last_used_at),
    expires_at: Number(row.expires_at),
    revoked_at: toNullableNumber(row.revoked_at),
    revoked_reason: toNullableString(row.revoked_reason),
    user_agent: toNullableString(row.user_agent),
    ip: toNullableString(row.ip),
  };
}

/** The session a token belongs to (its `sid`); fails the test when the row is missing. */
export async function sessionRowOf(db: DataSource, token: string): Promise<SessionRow> {
  const rows = await query(db, 'SELECT * FROM sessions WHERE id = :id', { id: sidOf(token) });
  if (rows.length !== 1) throw new Error(`no sessions row for sid ${sidOf(token)}`);
  return toSessionRow(rows[0]);
}

/** Every session of a user, oldest first. */
export async function sessionRowsOfUser(db: DataSource, userId: number): Promise<SessionRow[]> {
  const rows = await query(db, 'SELECT * FROM sessions WHERE user_id = :userId ORDER BY created_at, id', { userId });
  return rows.map(toSessionRow);
}

/** Sets columns of the token's session, e.g. to move `rotated_at` or `expires_at` into the past. */
export async function updateSessionOf(
  db: DataSource,
  token: string,
  changes: Partial<Pick<SessionRow, 'rotated_at' | 'expires_at' | 'last_used_at'>>,
): Promise<void> {
  const assignments = Object.keys(changes).map((column) => `${column} = :${column}`);
  await query(db, `UPDATE sessions SET ${assignments.join(', ')} WHERE id = :id`, { ...changes, id: sidOf(token) });
}

export const sidOf = (token: string): string => decodeJwt(token).payload.sid as string;
export const jtiOf = (token: string): string => decodeJwt(token).payload.jti as string;

/** send-otp then verify-otp, presenting `userAgent` as the client's User-Agent header. */
export async function signInWithUserAgent(t: TestApp, phoneNumber: string, userAgent: string): Promise<SignedIn> {
  const code = await requestCode(t, phoneNumber);
  const res = await t
    .http()
    .post('/api/auth/verify-otp/')
    .set('User-Agent', userAgent)
    .send({ phone_number: phoneNumber, otp_code: code })
    .expect(200);
  return res.body as SignedIn;
}
