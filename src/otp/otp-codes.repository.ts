import { Injectable } from '@nestjs/common';
import { Sql, query, type EntityRows, type Param, type Step } from '../database/sql';
import { OtpCode, type CodePurpose } from './otp-code.entity';

type ScopeParams = { phoneNumber: string; purpose: CodePurpose; userId: number | null };

/** The codes of one scope; NULL-safe on user_id, which is NULL for sign-in codes. */
const inScope = (p: Param<ScopeParams>) =>
  `phone_number = ${p('phoneNumber')} AND purpose = ${p('purpose')} AND user_id IS NOT DISTINCT FROM ${p('userId')}`;

const otpCodesStatements = (sql: Sql, rows: EntityRows<OtpCode>) => ({
  insert: sql.statement<ScopeParams & { codeHash: string; createdAt: number; expiresAt: number }>(
    (p) => `
      INSERT INTO otp_codes (phone_number, purpose, user_id, code_hash, attempts, created_at, expires_at)
      VALUES (${p('phoneNumber')}, ${p('purpose')}, ${p('userId')}, ${p('codeHash')}, 0, ${p('createdAt')}, ${p('expiresAt')})
      RETURNING id`,
  ),
  /** Only older codes of the scope: of parallel sends, the newest stays live. */
  retireOlder: sql.statement<ScopeParams & { id: number; at: number }>(
    (p) => `
      UPDATE otp_codes SET invalidated_at = ${p('at')}
      WHERE ${inScope(p)} AND id < ${p('id')} AND consumed_at IS NULL AND invalidated_at IS NULL`,
  ),
  invalidate: sql.statement<{ id: number; at: number }>(
    (p) => `UPDATE otp_codes SET invalidated_at = ${p('at')} WHERE id = ${p('id')}`,
  ),
  /** Counts a guess against the scope's newest code if that code can still be redeemed. */
  countAttempt: sql.statement<ScopeParams & { now: number; maxAttempts: number }>(
    (p) => `
      UPDATE otp_codes SET attempts = attempts + 1
      WHERE id = (SELECT MAX(id) FROM otp_codes WHERE ${inScope(p)})
        AND consumed_at IS NULL AND invalidated_at IS NULL AND expires_at > ${p('now')} AND attempts < ${p('maxAttempts')}
      RETURNING id, code_hash, attempts, created_at`,
  ),
  byId: sql.statement<{ id: number }>((p) => `SELECT ${rows.selectList()} FROM otp_codes WHERE id = ${p('id')}`),
  latest: sql.statement<ScopeParams>(
    (p) => `SELECT ${rows.selectList()} FROM otp_codes WHERE ${inScope(p)} ORDER BY id DESC LIMIT 1`,
  ),
  consume: sql.statement<{ id: number; at: number }>(
    (p) => `
      UPDATE otp_codes SET consumed_at = ${p('at')}
      WHERE id = ${p('id')} AND consumed_at IS NULL AND invalidated_at IS NULL`,
  ),
  /** Every code a user asked for, and every code texted to their number. */
  deleteOfAccount: sql.statement<{ userId: number; phoneNumber: string }>(
    (p) => `DELETE FROM otp_codes WHERE user_id = ${p('userId')} OR phone_number = ${p('phoneNumber')}`,
  ),
  purge: sql.statement<{ before: number }>((p) => `DELETE FROM otp_codes WHERE expires_at < ${p('before')}`),
});

/** Which codes compete: only the newest of a scope can be redeemed. */
export type CodeScope = Pick<OtpCode, 'phoneNumber' | 'purpose' | 'userId'>;

/** A guess counted against a live code: the attempts include it. */
export type CountedAttempt = Pick<OtpCode, 'id' | 'codeHash' | 'attempts' | 'createdAt'>;

export type NewOtpCode = CodeScope & Pick<OtpCode, 'codeHash' | 'createdAt' | 'expiresAt'>;

/** The `otp_codes` table: its statements, and its rows as {@link OtpCode}s. */
@Injectable()
export class OtpCodesRepository {
  readonly rows: EntityRows<OtpCode>;
  readonly statements: ReturnType<typeof otpCodesStatements>;

  constructor(private readonly sql: Sql) {
    this.rows = sql.rowsOf(OtpCode);
    this.statements = otpCodesStatements(sql, this.rows);
  }

  *insert(code: NewOtpCode): Step<number> {
    const { rows } = yield* query(this.statements.insert, {
      ...scopeParams(code),
      codeHash: code.codeHash,
      createdAt: code.createdAt.getTime(),
      expiresAt: code.expiresAt.getTime(),
    });
    return Number(rows[0].id);
  }

  *retireOlder(scope: CodeScope, id: number, at: Date): Step<void> {
    yield* query(this.statements.retireOlder, { ...scopeParams(scope), id, at: at.getTime() });
  }

  *invalidate(id: number, at: Date): Step<void> {
    yield* query(this.statements.invalidate, { id, at: at.getTime() });
  }

  /**
   * Counts one guess against the scope's newest code, atomically, if it is live and under
   * `maxAttempts`; undefined when there was no such code (nothing was counted).
   */
  *countAttempt(scope: CodeScope, now: Date, maxAttempts: number): Step<CountedAttempt | undefined> {
    const params = { ...scopeParams(scope), now: now.getTime(), maxAttempts };
    const { rows } = yield* query(this.statements.countAttempt, params);
    return rows[0] && this.rows.hydrate(rows[0]);
  }

  async byId(id: number): Promise<OtpCode | undefined> {
    const row = await this.sql.first(this.statements.byId, { id });
    return row && this.rows.hydrate(row);
  }

  *latest(scope: CodeScope): Step<OtpCode | undefined> {
    const { rows } = yield* query(this.statements.latest, scopeParams(scope));
    return rows[0] && this.rows.hydrate(rows[0]);
  }

  /** Spends the code; false when it was already spent or retired (another request won). */
  *consume(id: number, at: Date): Step<boolean> {
    return (yield* query(this.statements.consume, { id, at: at.getTime() })).affected > 0;
  }

  *deleteOfAccount(userId: number, phoneNumber: string): Step<void> {
    yield* query(this.statements.deleteOfAccount, { userId, phoneNumber });
  }

  /** Deletes codes that expired before `before`; idempotent, so every instance may run it. */
  async purge(before: Date): Promise<number> {
    return (await this.sql.run(this.statements.purge, { before: before.getTime() })).affected;
  }
}

function scopeParams({ phoneNumber, purpose, userId }: CodeScope): ScopeParams {
  return { phoneNumber, purpose, userId };
}
