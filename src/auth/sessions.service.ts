import { Inject, Injectable } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { randomUUID } from 'node:crypto';
import type { AuthenticatedUser } from '../common/auth.decorators';
import { ProblemException } from '../common/errors/problem.exception';
import { sql, Sql, toDate, type SqlValue, type Statement } from '../common/sql';
import { sessionConfig } from '../config';
import { userColumns, userFromRow, type UserRow } from '../users/user-row';
import type { SessionListDto } from './dto/session.dto';
import type { TokensDto } from './dto/verify-otp.dto';
import type { LogoutScope } from './dto/refresh.dto';
import type { RevocationReason } from './session.entity';
import { TokenService, type TokenPayload } from './token.service';

export interface ClientInfo {
  ip?: string;
  userAgent?: string;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The columns a refresh or logout needs, with whether the user may still sign in. */
interface SessionRow {
  id: string;
  user_id: number;
  refresh_jti: string;
  previous_refresh_jti: string | null;
  rotated_at: string | number;
  expires_at: string | number;
  revoked_at: string | number | null;
  is_active: boolean | number | null;
}

interface ListedSessionRow {
  id: string;
  created_at: string | number;
  last_used_at: string | number;
  expires_at: string | number;
  user_agent: string | null;
  ip: string | null;
}

const INSERT = sql(`
  INSERT INTO sessions (id, user_id, refresh_jti, rotated_at, created_at, last_used_at, expires_at, user_agent, ip)
  VALUES ($1, $2, $3, $4, $4, $4, $5, $6, $7)`);

/** The guard's one statement: the session is live and its user active, and the user's profile. */
const AUTHENTICATE = sql(`
  SELECT ${userColumns('u')} FROM sessions s JOIN users u ON u.id = s.user_id
  WHERE s.id = $1 AND s.user_id = $2 AND s.revoked_at IS NULL AND s.expires_at > $3 AND u.is_active = TRUE`);

const FIND = sql(`
  SELECT s.id, s.user_id, s.refresh_jti, s.previous_refresh_jti, s.rotated_at, s.expires_at, s.revoked_at, u.is_active
  FROM sessions s LEFT JOIN users u ON u.id = s.user_id WHERE s.id = $1`);

/** Swaps the current refresh token; of parallel refreshes with the same token only one matches. */
const ROTATE = sql(`
  UPDATE sessions SET previous_refresh_jti = refresh_jti, refresh_jti = $3, rotated_at = $4, last_used_at = $4
  WHERE id = $1 AND refresh_jti = $2 AND revoked_at IS NULL
  RETURNING id, user_id, refresh_jti, rotated_at`);

const DELETE = sql(`DELETE FROM sessions WHERE id = $1`);

const LIST = sql(`
  SELECT id, created_at, last_used_at, expires_at, user_agent, ip FROM sessions
  WHERE user_id = $1 AND revoked_at IS NULL AND expires_at > $2 ORDER BY last_used_at DESC`);

/** Revocations: $1 the time, $2 the reason, then which sessions. */
const REVOKE = {
  one: sql(`UPDATE sessions SET revoked_at = $1, revoked_reason = $2 WHERE id = $3 AND revoked_at IS NULL`),
  own: sql(`
    UPDATE sessions SET revoked_at = $1, revoked_reason = $2
    WHERE id = $3 AND user_id = $4 AND revoked_at IS NULL`),
  othersOf: sql(`
    UPDATE sessions SET revoked_at = $1, revoked_reason = $2
    WHERE user_id = $4 AND id <> $3 AND revoked_at IS NULL`),
  allOf: sql(`UPDATE sessions SET revoked_at = $1, revoked_reason = $2 WHERE user_id = $3 AND revoked_at IS NULL`),
};

const PURGE = sql(`DELETE FROM sessions WHERE revoked_at < $1 OR expires_at < $1`);

@Injectable()
export class SessionsService {
  constructor(
    private readonly sql: Sql,
    @Inject(sessionConfig.KEY) private readonly config: ConfigType<typeof sessionConfig>,
    private readonly tokens: TokenService,
  ) {}

  async start(userId: number, client: ClientInfo): Promise<TokensDto> {
    const now = new Date();
    const session = { id: randomUUID(), userId, refreshJti: randomUUID(), rotatedAt: now };
    await this.sql.run(INSERT, [
      session.id,
      userId,
      session.refreshJti,
      now.getTime(),
      now.getTime() + this.config.maxAgeMs,
      client.userAgent?.slice(0, 512) ?? null,
      client.ip ?? null,
    ]);
    return this.tokens.issuePair(session);
  }

  /**
   * Rotates the refresh token (RFC 9700 §4.14.2). The current token is swapped by one conditional
   * UPDATE, so of two parallel refreshes only one rotates; the other, arriving within the grace
   * window with the token just replaced, is answered with the same new pair instead of a
   * sign-out. Any older token, or the replaced one after the window, is a replay: the whole session
   * is revoked.
   */
  async refresh(refreshToken: string): Promise<TokensDto> {
    const claims = await this.tokens.verify(refreshToken, 'refresh');
    const now = Date.now();
    let session = await this.findUsable(claims, now);

    if (claims.jti === session.refresh_jti) {
      const { rows } = await this.sql.run<SessionRow>(ROTATE, [session.id, claims.jti, randomUUID(), now]);
      if (rows.length) return this.tokens.issuePair(generation(rows[0]));
      session = await this.findUsable(claims, now);
    }
    const withinGrace = this.config.reuseGraceMs > 0 && now - Number(session.rotated_at) <= this.config.reuseGraceMs;
    if (claims.jti === session.previous_refresh_jti && withinGrace) {
      return this.tokens.issuePair(generation(session));
    }
    await this.revoke(REVOKE.one, [session.id], 'refresh_token_reused');
    throw new ProblemException('refresh_token_reused');
  }

  /** Deletes a session whose tokens were never handed out (its sign-in failed after it was made). */
  async discard(tokens: TokensDto): Promise<void> {
    const { sid } = await this.tokens.verify(tokens.refresh, 'refresh');
    await this.sql.run(DELETE, [sid]);
  }

  /** Only a live session can sign out, so an old token cannot be used to sign the user out everywhere. */
  async logout(refreshToken: string, scope: LogoutScope): Promise<void> {
    const claims = await this.tokens.verify(refreshToken, 'refresh');
    const { id, user_id: userId } = await this.findUsable(claims, Date.now());
    if (scope === 'local') await this.revoke(REVOKE.own, [id, userId], 'logout');
    if (scope === 'others') await this.revoke(REVOKE.othersOf, [id, userId], 'signed_out_elsewhere');
    if (scope === 'global') await this.revoke(REVOKE.allOf, [userId], 'logout');
  }

  /**
   * The access token's session is live and its user active: revocation takes effect at once. The
   * same statement reads the user, which is all a profile request needs.
   */
  async authenticate(claims: TokenPayload): Promise<AuthenticatedUser | null> {
    const userId = Number(claims.sub);
    const row = await this.sql.first<UserRow>(AUTHENTICATE, [claims.sid, userId, Date.now()]);
    return row ? { userId, sessionId: claims.sid, user: userFromRow(row) } : null;
  }

  async list({ userId, sessionId }: AuthenticatedUser): Promise<SessionListDto> {
    const { rows } = await this.sql.run<ListedSessionRow>(LIST, [userId, Date.now()]);
    return {
      sessions: rows.map((s) => ({
        id: s.id,
        current: s.id === sessionId,
        created_at: toDate(s.created_at).toISOString(),
        last_used_at: toDate(s.last_used_at).toISOString(),
        expires_at: toDate(s.expires_at).toISOString(),
        user_agent: s.user_agent,
        ip: s.ip,
      })),
    };
  }

  /** Only the caller's own live sessions can be revoked; anything else is indistinguishable from absent. */
  async revokeOwn({ userId }: AuthenticatedUser, id: string): Promise<void> {
    const revoked = UUID.test(id) && (await this.revoke(REVOKE.own, [id, userId], 'revoked'));
    if (!revoked) throw new ProblemException('not_found', { detail: 'No such session.' });
  }

  /** Deletes sessions that ended before `before`; idempotent, so every instance may run it. */
  async purge(before: Date): Promise<number> {
    return (await this.sql.run(PURGE, [before.getTime()])).affected;
  }

  private async findUsable(claims: TokenPayload, now: number): Promise<SessionRow> {
    const session = await this.sql.first<SessionRow>(FIND, [claims.sid]);
    if (!session || session.revoked_at !== null || !session.is_active || String(session.user_id) !== claims.sub) {
      throw new ProblemException('unauthorized', { detail: 'The session has ended. Sign in again.' });
    }
    if (Number(session.expires_at) <= now) {
      throw new ProblemException('unauthorized', { detail: 'The session reached its maximum age. Sign in again.' });
    }
    return session;
  }

  private async revoke(statement: Statement, which: SqlValue[], reason: RevocationReason): Promise<boolean> {
    const { affected } = await this.sql.run(statement, [Date.now(), reason, ...which]);
    return affected > 0;
  }
}

/** What a token pair is computed from (see TokenService.issuePair). */
function generation(row: Pick<SessionRow, 'id' | 'user_id' | 'refresh_jti' | 'rotated_at'>) {
  return { id: row.id, userId: Number(row.user_id), refreshJti: row.refresh_jti, rotatedAt: toDate(row.rotated_at) };
}
