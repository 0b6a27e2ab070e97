import { Injectable } from '@nestjs/common';
import { Sql, query, type EntityRows, type Step } from '../database/sql';
import { TotpFactor } from './totp-factor.entity';

const totpFactorsStatements = (sql: Sql, rows: EntityRows<TotpFactor>) => ({
  find: sql.statement<{ userId: number }>(
    (p) => `SELECT ${rows.selectList()} FROM totp_factors WHERE user_id = ${p('userId')}`,
  ),
  isActive: sql.statement<{ userId: number }>(
    (p) => `SELECT 1 AS active FROM totp_factors WHERE user_id = ${p('userId')} AND confirmed_at IS NOT NULL`,
  ),
  /** A new pending enrolment, replacing a pending one; never a confirmed factor. */
  savePending: sql.statement<{ userId: number; secret: string; now: number }>(
    (p) => `
      INSERT INTO totp_factors (user_id, secret, created_at) VALUES (${p('userId')}, ${p('secret')}, ${p('now')})
      ON CONFLICT (user_id) DO UPDATE SET secret = excluded.secret, created_at = excluded.created_at
      WHERE totp_factors.confirmed_at IS NULL
      RETURNING user_id`,
  ),
  /** Confirms the very secret the code was checked against, not one a parallel enrolment put there since. */
  confirm: sql.statement<{ userId: number; secret: string; step: number; now: number }>(
    (p) => `
      UPDATE totp_factors SET confirmed_at = ${p('now')}, last_used_step = ${p('step')}
      WHERE user_id = ${p('userId')} AND secret = ${p('secret')} AND confirmed_at IS NULL`,
  ),
  /** Accepts a code once: only a step newer than the last one used moves it, so of parallel uses one wins. */
  use: sql.statement<{ userId: number; step: number }>(
    (p) => `
      UPDATE totp_factors SET last_used_step = ${p('step')}
      WHERE user_id = ${p('userId')} AND confirmed_at IS NOT NULL
        AND (last_used_step IS NULL OR last_used_step < ${p('step')})`,
  ),
  delete: sql.statement<{ userId: number }>((p) => `DELETE FROM totp_factors WHERE user_id = ${p('userId')}`),
  sealedOtherwise: sql.statement<{ prefix: string }>(
    (p) => `SELECT user_id, secret FROM totp_factors WHERE secret NOT LIKE ${p('prefix')}`,
  ),
  reseal: sql.statement<{ userId: number; from: string; to: string }>(
    (p) => `UPDATE totp_factors SET secret = ${p('to')} WHERE user_id = ${p('userId')} AND secret = ${p('from')}`,
  ),
});

/** The `totp_factors` table: its statements, and its rows as {@link TotpFactor}s. */
@Injectable()
export class TotpFactorsRepository {
  readonly rows: EntityRows<TotpFactor>;
  readonly statements: ReturnType<typeof totpFactorsStatements>;

  constructor(private readonly sql: Sql) {
    this.rows = sql.rowsOf(TotpFactor);
    this.statements = totpFactorsStatements(sql, this.rows);
  }

  async find(userId: number): Promise<TotpFactor | undefined> {
    const row = await this.sql.first(this.statements.find, { userId });
    return row && this.rows.hydrate(row);
  }

  /** Whether the user has a confirmed factor (a step of the sign-in's transaction). */
  *isActive(userId: number): Step<boolean> {
    return (yield* query(this.statements.isActive, { userId })).rows.length > 0;
  }

  /** False when the user already has a confirmed factor (nothing was written). */
  async savePending(userId: number, secret: string, now: Date): Promise<boolean> {
    return (await this.sql.run(this.statements.savePending, { userId, secret, now: now.getTime() })).rows.length > 0;
  }

  *confirm(userId: number, secret: string, step: number, now: Date): Step<boolean> {
    return (yield* query(this.statements.confirm, { userId, secret, step, now: now.getTime() })).affected > 0;
  }

  *use(userId: number, step: number): Step<boolean> {
    return (yield* query(this.statements.use, { userId, step })).affected > 0;
  }

  *delete(userId: number): Step<void> {
    yield* query(this.statements.delete, { userId });
  }

  /** The factors whose sealed secret does not begin with `prefix` (sealed under another key). */
  async sealedOtherwise(prefix: string): Promise<Pick<TotpFactor, 'userId' | 'secret'>[]> {
    const { rows } = await this.sql.run(this.statements.sealedOtherwise, { prefix: `${prefix}%` });
    return rows.map((row) => this.rows.hydrate(row));
  }

  /** Swaps the sealed secret if it is still `from` (a rotation on another instance may have come first). */
  async reseal(userId: number, from: string, to: string): Promise<void> {
    await this.sql.run(this.statements.reseal, { userId, from, to });
  }
}
