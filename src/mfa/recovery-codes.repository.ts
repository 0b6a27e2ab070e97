import { Injectable } from '@nestjs/common';
import { Sql, query, type Step } from '../database/sql';

const recoveryCodesStatements = (sql: Sql) => ({
  insert: sql.statement<{ userId: number; codeHash: string; now: number }>(
    (p) => `
      INSERT INTO recovery_codes (user_id, code_hash, created_at)
      VALUES (${p('userId')}, ${p('codeHash')}, ${p('now')})`,
  ),
  deleteOfUser: sql.statement<{ userId: number }>((p) => `DELETE FROM recovery_codes WHERE user_id = ${p('userId')}`),
  /** One conditional statement: of parallel redemptions of one code, exactly one matches. */
  redeem: sql.statement<{ userId: number; codeHash: string; now: number }>(
    (p) => `
      UPDATE recovery_codes SET used_at = ${p('now')}
      WHERE user_id = ${p('userId')} AND code_hash = ${p('codeHash')} AND used_at IS NULL`,
  ),
  /** Gives back a code spent at `usedAt`, when what it was spent on did not happen. */
  restore: sql.statement<{ userId: number; codeHash: string; usedAt: number }>(
    (p) => `
      UPDATE recovery_codes SET used_at = NULL
      WHERE user_id = ${p('userId')} AND code_hash = ${p('codeHash')} AND used_at = ${p('usedAt')}`,
  ),
  isUnused: sql.statement<{ userId: number; codeHash: string }>(
    (p) => `
      SELECT 1 AS unused FROM recovery_codes
      WHERE user_id = ${p('userId')} AND code_hash = ${p('codeHash')} AND used_at IS NULL`,
  ),
  countUnused: sql.statement<{ userId: number }>(
    (p) => `SELECT COUNT(*) AS unused FROM recovery_codes WHERE user_id = ${p('userId')} AND used_at IS NULL`,
  ),
});

/** The `recovery_codes` table; its rows leave it only as counts. */
@Injectable()
export class RecoveryCodesRepository {
  readonly statements: ReturnType<typeof recoveryCodesStatements>;

  constructor(private readonly sql: Sql) {
    this.statements = recoveryCodesStatements(sql);
  }

  /** The user's codes become exactly these: the old set stops working in the same transaction. */
  *replace(userId: number, codeHashes: readonly string[], now: Date): Step<void> {
    yield* this.deleteOfUser(userId);
    for (const codeHash of codeHashes) {
      yield* query(this.statements.insert, { userId, codeHash, now: now.getTime() });
    }
  }

  *deleteOfUser(userId: number): Step<void> {
    yield* query(this.statements.deleteOfUser, { userId });
  }

  *redeem(userId: number, codeHash: string, now: Date): Step<boolean> {
    return (yield* query(this.statements.redeem, { userId, codeHash, now: now.getTime() })).affected > 0;
  }

  async restore(userId: number, codeHash: string, usedAt: Date): Promise<void> {
    await this.sql.run(this.statements.restore, { userId, codeHash, usedAt: usedAt.getTime() });
  }

  async isUnused(userId: number, codeHash: string): Promise<boolean> {
    return (await this.sql.first(this.statements.isUnused, { userId, codeHash })) !== undefined;
  }

  async countUnused(userId: number): Promise<number> {
    return Number((await this.sql.first(this.statements.countUnused, { userId }))?.unused ?? 0);
  }
}
