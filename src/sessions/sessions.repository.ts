import { Injectable } from '@nestjs/common';
import { Sql, query, type EntityRows, type SqlResult, type Step } from '../database/sql';
import type { AccessScope } from '../users/authenticated-user';
import { User, usableUserSql } from '../users/user.entity';
import { Session, type RevocationReason } from './session.entity';

const sessionsStatements = (sql: Sql, rows: EntityRows<Session>, users: EntityRows<User>) => ({
  insert: sql.statement<{
    id: string;
    userId: number;
    refreshJti: string;
    now: number;
    expiresAt: number;
    scope: AccessScope;
    userAgent: string | null;
    ip: string | null;
  }>(
    (p) => `
      INSERT INTO sessions (
        id, user_id, refresh_jti, rotated_at, created_at, last_used_at, authenticated_at, expires_at, scope, user_agent, ip
      )
      VALUES (${p('id')}, ${p('userId')}, ${p('refreshJti')}, ${p('now')}, ${p('now')}, ${p('now')}, ${p('now')},
        ${p('expiresAt')}, ${p('scope')}, ${p('userAgent')}, ${p('ip')})`,
  ),
  /** The guard's one statement: the session is live and its user usable (active, not banned), and the user's profile. */
  authenticate: sql.statement<{ id: string; userId: number; now: number }>(
    (p) => `
      SELECT ${users.selectList('u')}, s.authenticated_at, s.scope FROM sessions s JOIN users u ON u.id = s.user_id
      WHERE s.id = ${p('id')} AND s.user_id = ${p('userId')} AND s.revoked_at IS NULL AND s.expires_at > ${p('now')}
        AND ${usableUserSql('u', p('now'))}`,
  ),
  /** The session, and its user's id only while that user is usable. */
  find: sql.statement<{ id: string; now: number }>(
    (p) => `
      SELECT ${rows.selectList('s')}, u.id AS active_user_id
      FROM sessions s LEFT JOIN users u ON u.id = s.user_id AND ${usableUserSql('u', p('now'))} WHERE s.id = ${p('id')}`,
  ),
  /** Swaps the current refresh token; of parallel refreshes with the same token only one matches. */
  rotate: sql.statement<{ id: string; jti: string; nextJti: string; now: number }>(
    (p) => `
      UPDATE sessions
      SET previous_refresh_jti = refresh_jti, refresh_jti = ${p('nextJti')}, rotated_at = ${p('now')}, last_used_at = ${p('now')}
      WHERE id = ${p('id')} AND refresh_jti = ${p('jti')} AND revoked_at IS NULL
      RETURNING ${rows.selectList()}`,
  ),
  /** The session's user proved who they are again. */
  reauthenticated: sql.statement<{ id: string; at: number }>(
    (p) => `UPDATE sessions SET authenticated_at = ${p('at')} WHERE id = ${p('id')} AND revoked_at IS NULL`,
  ),
  /** The session's user enrolled a second factor: its tokens may do everything now. */
  widen: sql.statement<{ id: string }>(
    (p) => `UPDATE sessions SET scope = 'full' WHERE id = ${p('id')} AND revoked_at IS NULL`,
  ),
  /** A new refresh token for a live session, whatever the current one is (the caller holds its access token). */
  renew: sql.statement<{ id: string; nextJti: string; now: number }>(
    (p) => `
      UPDATE sessions
      SET previous_refresh_jti = refresh_jti, refresh_jti = ${p('nextJti')}, rotated_at = ${p('now')}, last_used_at = ${p('now')}
      WHERE id = ${p('id')} AND revoked_at IS NULL
      RETURNING ${rows.selectList()}`,
  ),
  deleteOfUser: sql.statement<{ userId: number }>((p) => `DELETE FROM sessions WHERE user_id = ${p('userId')}`),
  listLive: sql.statement<{ userId: number; now: number }>(
    (p) => `
      SELECT ${rows.selectList()} FROM sessions
      WHERE user_id = ${p('userId')} AND revoked_at IS NULL AND expires_at > ${p('now')} ORDER BY last_used_at DESC`,
  ),
  revokeOne: sql.statement<{ id: string; at: number; reason: RevocationReason }>(
    (p) => `
      UPDATE sessions SET revoked_at = ${p('at')}, revoked_reason = ${p('reason')}
      WHERE id = ${p('id')} AND revoked_at IS NULL`,
  ),
  revokeOwn: sql.statement<{ id: string; userId: number; at: number; reason: RevocationReason }>(
    (p) => `
      UPDATE sessions SET revoked_at = ${p('at')}, revoked_reason = ${p('reason')}
      WHERE id = ${p('id')} AND user_id = ${p('userId')} AND revoked_at IS NULL`,
  ),
  revokeOthers: sql.statement<{ id: string; userId: number; at: number; reason: RevocationReason }>(
    (p) => `
      UPDATE sessions SET revoked_at = ${p('at')}, revoked_reason = ${p('reason')}
      WHERE user_id = ${p('userId')} AND id <> ${p('id')} AND revoked_at IS NULL`,
  ),
  revokeAll: sql.statement<{ userId: number; at: number; reason: RevocationReason }>(
    (p) => `
      UPDATE sessions SET revoked_at = ${p('at')}, revoked_reason = ${p('reason')}
      WHERE user_id = ${p('userId')} AND revoked_at IS NULL`,
  ),
  purge: sql.statement<{ before: number }>(
    (p) => `DELETE FROM sessions WHERE revoked_at < ${p('before')} OR expires_at < ${p('before')}`,
  ),
  /** Every stored session of a user, ended or not, newest first: what an admin sees. */
  listOfUser: sql.statement<{ userId: number; limit: number }>(
    (p) => `
      SELECT ${rows.selectList()} FROM sessions
      WHERE user_id = ${p('userId')} ORDER BY created_at DESC, id DESC LIMIT ${p('limit')}`,
  ),
});

export type NewSession = Pick<Session, 'id' | 'userId' | 'refreshJti' | 'expiresAt' | 'scope' | 'userAgent' | 'ip'>;

/** Which of a user's live sessions a revocation ends. */
export type Revocation =
  | { of: 'session'; id: string }
  | { of: 'own'; id: string; userId: number }
  | { of: 'others'; id: string; userId: number }
  | { of: 'all'; userId: number };

/** The `sessions` table: its statements, and its rows as {@link Session}s. */
@Injectable()
export class SessionsRepository {
  readonly rows: EntityRows<Session>;
  readonly statements: ReturnType<typeof sessionsStatements>;
  private readonly users: EntityRows<User>;

  constructor(private readonly sql: Sql) {
    this.rows = sql.rowsOf(Session);
    this.users = sql.rowsOf(User);
    this.statements = sessionsStatements(sql, this.rows, this.users);
  }

  *insert(session: NewSession, now: Date): Step<void> {
    yield* query(this.statements.insert, {
      id: session.id,
      userId: session.userId,
      refreshJti: session.refreshJti,
      now: now.getTime(),
      expiresAt: session.expiresAt.getTime(),
      scope: session.scope,
      userAgent: session.userAgent,
      ip: session.ip,
    });
  }

  /** The user of a live session, if that user is active, and when they last proved who they are on it. */
  async authenticate(
    id: string,
    userId: number,
    now: Date,
  ): Promise<{ user: User; authenticatedAt: Date; scope: AccessScope } | undefined> {
    const row = await this.sql.first(this.statements.authenticate, { id, userId, now: now.getTime() });
    if (!row) return undefined;
    const { authenticatedAt, scope } = this.rows.hydrate({ authenticated_at: row.authenticated_at, scope: row.scope });
    return { user: this.users.hydrate(row), authenticatedAt, scope };
  }

  /** Whether the session was live to be marked. */
  *reauthenticated(id: string, at: Date): Step<boolean> {
    return (yield* query(this.statements.reauthenticated, { id, at: at.getTime() })).affected > 0;
  }

  /** Whether the session was live to be widened. */
  *widen(id: string): Step<boolean> {
    return (yield* query(this.statements.widen, { id })).affected > 0;
  }

  /** The live session with `nextJti` as its refresh token; undefined when it has ended. */
  *renew(id: string, nextJti: string, now: Date): Step<Session | undefined> {
    const { rows } = yield* query(this.statements.renew, { id, nextJti, now: now.getTime() });
    return rows[0] && this.rows.hydrate(rows[0]);
  }

  *deleteOfUser(userId: number): Step<void> {
    yield* query(this.statements.deleteOfUser, { userId });
  }

  async find(id: string, now: Date): Promise<{ session: Session; userActive: boolean } | undefined> {
    const row = await this.sql.first(this.statements.find, { id, now: now.getTime() });
    return row && { session: this.rows.hydrate(row), userActive: row.active_user_id !== null };
  }

  /** The session with `nextJti` as its refresh token, if `jti` was still the current one. */
  async rotate(id: string, jti: string, nextJti: string, now: Date): Promise<Session | undefined> {
    const row = await this.sql.first(this.statements.rotate, { id, jti, nextJti, now: now.getTime() });
    return row && this.rows.hydrate(row);
  }

  /** A user's live sessions, most recently used first. */
  async listLive(userId: number, now: Date): Promise<Session[]> {
    const { rows } = await this.sql.run(this.statements.listLive, { userId, now: now.getTime() });
    return rows.map((row) => this.rows.hydrate(row));
  }

  /** A user's sessions, live or ended, newest first (the admin API). */
  async listOfUser(userId: number, limit: number): Promise<Session[]> {
    const { rows } = await this.sql.run(this.statements.listOfUser, { userId, limit });
    return rows.map((row) => this.rows.hydrate(row));
  }

  /** Ends the sessions `which` names that are not ended yet; whether any was. */
  async revoke(which: Revocation, reason: RevocationReason, at: Date): Promise<boolean> {
    return this.sql.perform(this.revoking(which, reason, at));
  }

  /** {@link revoke}, as a step of a larger transaction. */
  *revoking(which: Revocation, reason: RevocationReason, at: Date): Step<boolean> {
    const change = { at: at.getTime(), reason };
    const revoked = yield* this.revocation(which, change);
    return revoked.affected > 0;
  }

  private revocation(which: Revocation, change: { at: number; reason: RevocationReason }): Step<SqlResult> {
    switch (which.of) {
      case 'session':
        return query(this.statements.revokeOne, { ...change, id: which.id });
      case 'own':
        return query(this.statements.revokeOwn, { ...change, id: which.id, userId: which.userId });
      case 'others':
        return query(this.statements.revokeOthers, { ...change, id: which.id, userId: which.userId });
      case 'all':
        return query(this.statements.revokeAll, { ...change, userId: which.userId });
    }
  }

  /** Deletes sessions that ended before `before`; idempotent, so every instance may run it. */
  async purge(before: Date): Promise<number> {
    return (await this.sql.run(this.statements.purge, { before: before.getTime() })).affected;
  }
}
