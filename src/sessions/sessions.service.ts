import { Inject, Injectable } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { randomUUID } from 'node:crypto';
import { ProblemException } from '../common/errors/problem.exception';
import { UUID } from '../common/uuid';
import { sessionConfig } from '../config';
import { AuditTrail } from '../audit/audit-trail.service';
import { Sql, type Step } from '../database/sql';
import type { AccessScope, AuthenticatedUser } from '../users/authenticated-user';
import { toSessionDto, type SessionListDto } from './dto/session.dto';
import type { LogoutScope, TokensDto } from './dto/tokens.dto';
import type { RevocationReason, Session } from './session.entity';
import { SessionsRepository, type Revocation } from './sessions.repository';
import { TokenService, type Generation, type TokenPayload } from './token.service';

export interface ClientInfo {
  ip?: string;
  userAgent?: string;
}

@Injectable()
export class SessionsService {
  constructor(
    private readonly sessions: SessionsRepository,
    @Inject(sessionConfig.KEY) private readonly config: ConfigType<typeof sessionConfig>,
    private readonly tokens: TokenService,
    private readonly audit: AuditTrail,
    private readonly sql: Sql,
  ) {}

  /** Opens a session for the user, as a step of the sign-in's transaction; tokensFor() signs its pair. */
  *open(userId: number, client: ClientInfo, scope: AccessScope = 'full'): Step<Generation> {
    const now = new Date();
    const session = { id: randomUUID(), userId, refreshJti: randomUUID(), rotatedAt: now };
    yield* this.sessions.insert(
      {
        ...session,
        expiresAt: new Date(now.getTime() + this.config.maxAgeMs),
        scope,
        userAgent: client.userAgent?.slice(0, 512) ?? null,
        ip: client.ip ?? null,
      },
      now,
    );
    return session;
  }

  tokensFor(session: Generation): TokensDto {
    return this.tokens.issuePair(session);
  }

  /**
   * Rotates the refresh token (RFC 9700 §4.14.2). The current token is swapped by one conditional
   * UPDATE, so of two parallel refreshes only one rotates; the other, arriving within the grace
   * window with the token just replaced, is answered with the same new pair instead of a
   * sign-out. Any older token, or the replaced one after the window, is a replay: the whole session
   * is revoked.
   */
  async refresh(refreshToken: string, ip?: string): Promise<TokensDto> {
    const claims = this.tokens.verify(refreshToken, 'refresh');
    const now = new Date();
    let session = await this.findUsable(claims, now);

    if (claims.jti === session.refreshJti) {
      const rotated = await this.sessions.rotate(session.id, claims.jti, randomUUID(), now);
      if (rotated) return this.tokens.issuePair(rotated);
      session = await this.findUsable(claims, now);
    }
    if (this.withinGrace(claims, session, now)) return this.tokens.issuePair(session);
    return this.reused(session, now, ip);
  }

  /**
   * Only the session's current refresh token (or the one just replaced, within the grace window)
   * signs out. Any older one is a replay, treated as refresh treats it: that one session is
   * revoked and nothing else, so a leaked old token cannot sign the user out of every device.
   */
  async logout(refreshToken: string, scope: LogoutScope, ip?: string): Promise<void> {
    const claims = this.tokens.verify(refreshToken, 'refresh');
    const now = new Date();
    const session = await this.findUsable(claims, now);
    if (claims.jti !== session.refreshJti && !this.withinGrace(claims, session, now)) {
      await this.reused(session, now, ip);
    }
    const { id, userId } = session;
    const [which, reason] = LOGOUTS[scope](id, userId);
    const { sessions, audit } = this;
    await this.sql.transaction(function* () {
      yield* sessions.revoking(which, reason, now);
      yield* audit.record({ type: 'logout', reason: scope, userId, sessionId: id, ip }, now);
    });
  }

  /**
   * The access token's session is live and its user active: revocation takes effect at once. The
   * same statement reads the user, which is all a profile request needs.
   */
  async authenticate(claims: TokenPayload): Promise<AuthenticatedUser | null> {
    const found = await this.sessions.authenticate(claims.sid, Number(claims.sub), new Date());
    return found ? { sessionId: claims.sid, ...found } : null;
  }

  async list({ user, sessionId }: AuthenticatedUser): Promise<SessionListDto> {
    const sessions = await this.sessions.listLive(user.id, new Date());
    return { sessions: sessions.map((session) => toSessionDto(session, sessionId)) };
  }

  /** Only the caller's own live sessions can be revoked; anything else is indistinguishable from absent. */
  async revokeOwn({ user }: AuthenticatedUser, id: string): Promise<void> {
    const { sessions, audit } = this;
    const revoked =
      UUID.test(id) &&
      (await this.sql.transaction(function* () {
        if (!(yield* sessions.revoking({ of: 'own', id, userId: user.id }, 'revoked', new Date()))) return false;
        yield* audit.record({ type: 'session_revoked', reason: 'revoked', userId: user.id, sessionId: id });
        return true;
      }));
    if (!revoked) throw new ProblemException('not_found', { detail: 'No such session.' });
  }

  /** The token the last rotation replaced, presented again within REFRESH_REUSE_GRACE. */
  private withinGrace(claims: TokenPayload, session: Session, now: Date): boolean {
    const grace = this.config.reuseGraceMs;
    return (
      claims.jti === session.previousRefreshJti && grace > 0 && now.getTime() - session.rotatedAt.getTime() <= grace
    );
  }

  private async reused({ id, userId }: Session, now: Date, ip: string | undefined): Promise<never> {
    const { sessions, audit } = this;
    await this.sql.transaction(function* () {
      yield* sessions.revoking({ of: 'session', id }, 'refresh_token_reused', now);
      yield* audit.record({ type: 'refresh_reused', userId, sessionId: id, ip }, now);
    });
    throw new ProblemException('refresh_token_reused');
  }

  private async findUsable(claims: TokenPayload, now: Date): Promise<Session> {
    const found = await this.sessions.find(claims.sid, now);
    const session = found?.session;
    if (!session || session.revokedAt !== null || !found.userActive || String(session.userId) !== claims.sub) {
      throw sessionEnded();
    }
    if (session.expiresAt.getTime() <= now.getTime()) {
      throw new ProblemException('unauthorized', { detail: 'The session reached its maximum age. Sign in again.' });
    }
    return session;
  }
}

/** Which sessions each logout scope ends, and why. */
const LOGOUTS: Record<LogoutScope, (id: string, userId: number) => [Revocation, RevocationReason]> = {
  local: (id, userId) => [{ of: 'own', id, userId }, 'logout'],
  others: (id, userId) => [{ of: 'others', id, userId }, 'signed_out_elsewhere'],
  global: (_id, userId) => [{ of: 'all', userId }, 'logout'],
};

export function sessionEnded(): ProblemException {
  return new ProblemException('unauthorized', { detail: 'The session has ended. Sign in again.' });
}
