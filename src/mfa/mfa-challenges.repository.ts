import { Injectable } from '@nestjs/common';
import { Sql, query, type EntityRows, type Step } from '../database/sql';
import { MfaChallenge } from './mfa-challenge.entity';

const mfaChallengesStatements = (sql: Sql, rows: EntityRows<MfaChallenge>) => ({
  insert: sql.statement<{ tokenHash: string; userId: number; phoneNumber: string; now: number; expiresAt: number }>(
    (p) => `
      INSERT INTO mfa_challenges (token_hash, user_id, phone_number, attempts, created_at, expires_at)
      VALUES (${p('tokenHash')}, ${p('userId')}, ${p('phoneNumber')}, 0, ${p('now')}, ${p('expiresAt')})`,
  ),
  /** Counts a guess against the challenge if it is live and under the cap, atomically. */
  countAttempt: sql.statement<{ tokenHash: string; now: number; maxAttempts: number }>(
    (p) => `
      UPDATE mfa_challenges SET attempts = attempts + 1
      WHERE token_hash = ${p('tokenHash')} AND consumed_at IS NULL AND expires_at > ${p('now')}
        AND attempts < ${p('maxAttempts')}
      RETURNING ${rows.selectList()}`,
  ),
  find: sql.statement<{ tokenHash: string }>(
    (p) => `SELECT ${rows.selectList()} FROM mfa_challenges WHERE token_hash = ${p('tokenHash')}`,
  ),
  /** Of parallel completions of one challenge, exactly one spends it. */
  consume: sql.statement<{ tokenHash: string; now: number }>(
    (p) => `
      UPDATE mfa_challenges SET consumed_at = ${p('now')}
      WHERE token_hash = ${p('tokenHash')} AND consumed_at IS NULL AND expires_at > ${p('now')}`,
  ),
  purge: sql.statement<{ before: number }>((p) => `DELETE FROM mfa_challenges WHERE expires_at < ${p('before')}`),
});

export type NewMfaChallenge = Pick<MfaChallenge, 'tokenHash' | 'userId' | 'phoneNumber' | 'createdAt' | 'expiresAt'>;

/** The `mfa_challenges` table: its statements, and its rows as {@link MfaChallenge}s. */
@Injectable()
export class MfaChallengesRepository {
  readonly rows: EntityRows<MfaChallenge>;
  readonly statements: ReturnType<typeof mfaChallengesStatements>;

  constructor(private readonly sql: Sql) {
    this.rows = sql.rowsOf(MfaChallenge);
    this.statements = mfaChallengesStatements(sql, this.rows);
  }

  *insert(challenge: NewMfaChallenge): Step<void> {
    yield* query(this.statements.insert, {
      tokenHash: challenge.tokenHash,
      userId: challenge.userId,
      phoneNumber: challenge.phoneNumber,
      now: challenge.createdAt.getTime(),
      expiresAt: challenge.expiresAt.getTime(),
    });
  }

  /** The live challenge with one more attempt counted; undefined when there was none to count. */
  async countAttempt(tokenHash: string, now: Date, maxAttempts: number): Promise<MfaChallenge | undefined> {
    const row = await this.sql.first(this.statements.countAttempt, { tokenHash, now: now.getTime(), maxAttempts });
    return row && this.rows.hydrate(row);
  }

  async find(tokenHash: string): Promise<MfaChallenge | undefined> {
    const row = await this.sql.first(this.statements.find, { tokenHash });
    return row && this.rows.hydrate(row);
  }

  *consume(tokenHash: string, now: Date): Step<boolean> {
    return (yield* query(this.statements.consume, { tokenHash, now: now.getTime() })).affected > 0;
  }

  /** Deletes challenges that expired before `before`; idempotent, so every instance may run it. */
  async purge(before: Date): Promise<number> {
    return (await this.sql.run(this.statements.purge, { before: before.getTime() })).affected;
  }
}
