import { Injectable } from '@nestjs/common';
import { Sql, query, type EntityRows, type Step } from '../database/sql';
import { OtpCode } from './otp-code.entity';

const otpCodesStatements = (sql: Sql, rows: EntityRows<OtpCode>) => ({
  insert: sql.statement<{ phoneNumber: string; codeHash: string; createdAt: number; expiresAt: number }>(
    (p) => `
      INSERT INTO otp_codes (phone_number, code_hash, attempts, created_at, expires_at)
      VALUES (${p('phoneNumber')}, ${p('codeHash')}, 0, ${p('createdAt')}, ${p('expiresAt')})
      RETURNING id`,
  ),
  /** Only older codes: of parallel sends, the newest stays live. */
  retireOlder: sql.statement<{ phoneNumber: string; id: number; at: number }>(
    (p) => `
      UPDATE otp_codes SET invalidated_at = ${p('at')}
      WHERE phone_number = ${p('phoneNumber')} AND id < ${p('id')} AND consumed_at IS NULL AND invalidated_at IS NULL`,
  ),
  invalidate: sql.statement<{ id: number; at: number }>(
    (p) => `UPDATE otp_codes SET invalidated_at = ${p('at')} WHERE id = ${p('id')}`,
  ),
  /** Counts a guess against the phone's newest code if that code can still be redeemed. */
  countAttempt: sql.statement<{ phoneNumber: string; now: number; maxAttempts: number }>(
    (p) => `
      UPDATE otp_codes SET attempts = attempts + 1
      WHERE id = (SELECT MAX(id) FROM otp_codes WHERE phone_number = ${p('phoneNumber')})
        AND consumed_at IS NULL AND invalidated_at IS NULL AND expires_at > ${p('now')} AND attempts < ${p('maxAttempts')}
      RETURNING id, code_hash`,
  ),
  latest: sql.statement<{ phoneNumber: string }>(
    (p) =>
      `SELECT ${rows.selectList()} FROM otp_codes WHERE phone_number = ${p('phoneNumber')} ORDER BY id DESC LIMIT 1`,
  ),
  consume: sql.statement<{ id: number; at: number }>(
    (p) => `
      UPDATE otp_codes SET consumed_at = ${p('at')}
      WHERE id = ${p('id')} AND consumed_at IS NULL AND invalidated_at IS NULL`,
  ),
  purge: sql.statement<{ before: number }>((p) => `DELETE FROM otp_codes WHERE expires_at < ${p('before')}`),
});

export type NewOtpCode = Pick<OtpCode, 'phoneNumber' | 'codeHash' | 'createdAt' | 'expiresAt'>;

/** The `otp_codes` table: its statements, and its rows as {@link OtpCode}s. */
@Injectable()
export class OtpCodesRepository {
  readonly rows: EntityRows<OtpCode>;
  readonly statements: ReturnType<typeof otpCodesStatements>;

  constructor(private readonly sql: Sql) {
    this.rows = sql.rowsOf(OtpCode);
    this.statements = otpCodesStatements(sql, this.rows);
  }

  async insert(code: NewOtpCode): Promise<number> {
    const { rows } = await this.sql.run(this.statements.insert, {
      phoneNumber: code.phoneNumber,
      codeHash: code.codeHash,
      createdAt: code.createdAt.getTime(),
      expiresAt: code.expiresAt.getTime(),
    });
    return Number(rows[0].id);
  }

  async retireOlder(phoneNumber: string, id: number, at: Date): Promise<void> {
    await this.sql.run(this.statements.retireOlder, { phoneNumber, id, at: at.getTime() });
  }

  async invalidate(id: number, at: Date): Promise<void> {
    await this.sql.run(this.statements.invalidate, { id, at: at.getTime() });
  }

  /**
   * Counts one guess against the phone's newest code, atomically, if it is live and under
   * `maxAttempts`; undefined when there was no such code (nothing was counted).
   */
  async countAttempt(
    phoneNumber: string,
    now: Date,
    maxAttempts: number,
  ): Promise<Pick<OtpCode, 'id' | 'codeHash'> | undefined> {
    const row = await this.sql.first(this.statements.countAttempt, { phoneNumber, now: now.getTime(), maxAttempts });
    return row && this.rows.hydrate(row);
  }

  async latest(phoneNumber: string): Promise<OtpCode | undefined> {
    const row = await this.sql.first(this.statements.latest, { phoneNumber });
    return row && this.rows.hydrate(row);
  }

  /** Spends the code; false when it was already spent or retired (another request won). */
  *consume(id: number, at: Date): Step<boolean> {
    return (yield* query(this.statements.consume, { id, at: at.getTime() })).affected > 0;
  }

  /** Deletes codes that expired before `before`; idempotent, so every instance may run it. */
  async purge(before: Date): Promise<number> {
    return (await this.sql.run(this.statements.purge, { before: before.getTime() })).affected;
  }
}
