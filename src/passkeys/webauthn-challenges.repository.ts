import { Injectable } from '@nestjs/common';
import { Sql } from '../database/sql';
import type { Ceremony } from './webauthn-challenge.entity';

const webauthnChallengesStatements = (sql: Sql) => ({
  insert: sql.statement<{
    challenge: string;
    ceremony: Ceremony;
    userId: number | null;
    now: number;
    expiresAt: number;
  }>(
    (p) => `
      INSERT INTO webauthn_challenges (challenge, ceremony, user_id, created_at, expires_at)
      VALUES (${p('challenge')}, ${p('ceremony')}, ${p('userId')}, ${p('now')}, ${p('expiresAt')})`,
  ),
  /** Spends a live challenge of the ceremony: of parallel answers with one challenge, one gets it. */
  take: sql.statement<{ challenge: string; ceremony: Ceremony; now: number }>(
    (p) => `
      UPDATE webauthn_challenges SET consumed_at = ${p('now')}
      WHERE challenge = ${p('challenge')} AND ceremony = ${p('ceremony')} AND consumed_at IS NULL
        AND expires_at > ${p('now')}
      RETURNING user_id`,
  ),
  purge: sql.statement<{ before: number }>((p) => `DELETE FROM webauthn_challenges WHERE expires_at < ${p('before')}`),
});

/** The `webauthn_challenges` table. */
@Injectable()
export class WebAuthnChallengesRepository {
  readonly statements: ReturnType<typeof webauthnChallengesStatements>;

  constructor(private readonly sql: Sql) {
    this.statements = webauthnChallengesStatements(sql);
  }

  async insert(
    challenge: string,
    ceremony: Ceremony,
    userId: number | null,
    now: Date,
    expiresAt: Date,
  ): Promise<void> {
    await this.sql.run(this.statements.insert, {
      challenge,
      ceremony,
      userId,
      now: now.getTime(),
      expiresAt: expiresAt.getTime(),
    });
  }

  /** The challenge's user (null for a sign-in), or undefined when it was not a live challenge of the ceremony. */
  async take(challenge: string, ceremony: Ceremony, now: Date): Promise<{ userId: number | null } | undefined> {
    const row = await this.sql.first(this.statements.take, { challenge, ceremony, now: now.getTime() });
    return row && { userId: row.user_id === null ? null : Number(row.user_id) };
  }

  /** Deletes challenges that expired before `before`; idempotent, so every instance may run it. */
  async purge(before: Date): Promise<number> {
    return (await this.sql.run(this.statements.purge, { before: before.getTime() })).affected;
  }
}
