import { Inject, Injectable } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { InjectRepository } from '@nestjs/typeorm';
import { randomUUID } from 'node:crypto';
import { IsNull, LessThan, MoreThan, Not, Repository, type FindOptionsWhere } from 'typeorm';
import type { AuthenticatedUser } from '../common/auth.decorators';
import { ProblemException } from '../common/errors/problem.exception';
import { sessionConfig } from '../config';
import type { SessionListDto } from './dto/session.dto';
import type { TokensDto } from './dto/verify-otp.dto';
import type { LogoutScope } from './dto/refresh.dto';
import { Session, type RevocationReason } from './session.entity';
import { TokenService, type TokenPayload } from './token.service';

export interface ClientInfo {
  ip?: string;
  userAgent?: string;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

@Injectable()
export class SessionsService {
  constructor(
    @InjectRepository(Session) private readonly sessions: Repository<Session>,
    @Inject(sessionConfig.KEY) private readonly config: ConfigType<typeof sessionConfig>,
    private readonly tokens: TokenService,
  ) {}

  async start(userId: number, client: ClientInfo): Promise<TokensDto> {
    const now = new Date();
    const session = this.sessions.create({
      id: randomUUID(),
      userId,
      refreshJti: randomUUID(),
      previousRefreshJti: null,
      rotatedAt: now,
      createdAt: now,
      lastUsedAt: now,
      expiresAt: new Date(now.getTime() + this.config.maxAgeMs),
      revokedAt: null,
      revokedReason: null,
      userAgent: client.userAgent?.slice(0, 512) ?? null,
      ip: client.ip ?? null,
    });
    await this.sessions.insert(session);
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
    const now = new Date();
    let session = await this.findUsable(claims, now);

    if (claims.jti === session.refreshJti) {
      const rotated = await this.sessions
        .createQueryBuilder()
        .update()
        .set({ previousRefreshJti: claims.jti, refreshJti: randomUUID(), rotatedAt: now, lastUsedAt: now })
        .where('id = :id AND refresh_jti = :jti AND revoked_at IS NULL', { id: session.id, jti: claims.jti })
        .execute();
      session = await this.findUsable(claims, now);
      if (rotated.affected) return this.tokens.issuePair(session);
    }
    const elapsed = now.getTime() - session.rotatedAt.getTime();
    const withinGrace = this.config.reuseGraceMs > 0 && elapsed <= this.config.reuseGraceMs;
    if (claims.jti === session.previousRefreshJti && withinGrace) {
      return this.tokens.issuePair(session);
    }
    await this.revoke({ id: session.id }, 'refresh_token_reused');
    throw new ProblemException('refresh_token_reused');
  }

  /** Deletes a session whose tokens were never handed out (its sign-in failed after it was made). */
  async discard(tokens: TokensDto): Promise<void> {
    const { sid } = await this.tokens.verify(tokens.refresh, 'refresh');
    await this.sessions.delete({ id: sid });
  }

  /** Only a live session can sign out, so an old token cannot be used to sign the user out everywhere. */
  async logout(refreshToken: string, scope: LogoutScope): Promise<void> {
    const claims = await this.tokens.verify(refreshToken, 'refresh');
    const { id: sid, userId } = await this.findUsable(claims, new Date());
    if (scope === 'local') await this.revoke({ id: sid, userId }, 'logout');
    if (scope === 'others') await this.revoke({ userId, id: Not(sid) }, 'signed_out_elsewhere');
    if (scope === 'global') await this.revoke({ userId }, 'logout');
  }

  /** The access token's session is live and its user active: revocation takes effect at once. */
  async authenticate(claims: TokenPayload): Promise<AuthenticatedUser | null> {
    const userId = Number(claims.sub);
    const live = await this.sessions
      .createQueryBuilder('session')
      .innerJoin('session.user', 'user')
      .where('session.id = :sid AND session.user_id = :userId', { sid: claims.sid, userId })
      .andWhere('session.revoked_at IS NULL AND session.expires_at > :now', { now: Date.now() })
      .andWhere('user.is_active = :active', { active: true })
      .getExists();
    return live ? { userId, sessionId: claims.sid } : null;
  }

  async list({ userId, sessionId }: AuthenticatedUser): Promise<SessionListDto> {
    const sessions = await this.sessions.find({
      where: { userId, revokedAt: IsNull(), expiresAt: MoreThan(new Date()) },
      order: { lastUsedAt: 'DESC' },
    });
    return {
      sessions: sessions.map((s) => ({
        id: s.id,
        current: s.id === sessionId,
        created_at: s.createdAt.toISOString(),
        last_used_at: s.lastUsedAt.toISOString(),
        expires_at: s.expiresAt.toISOString(),
        user_agent: s.userAgent,
        ip: s.ip,
      })),
    };
  }

  /** Only the caller's own live sessions can be revoked; anything else is indistinguishable from absent. */
  async revokeOwn({ userId }: AuthenticatedUser, id: string): Promise<void> {
    const revoked = UUID.test(id) && (await this.revoke({ id, userId }, 'revoked'));
    if (!revoked) throw new ProblemException('not_found', { detail: 'No such session.' });
  }

  /** Deletes sessions that ended before `before`; idempotent, so every instance may run it. */
  async purge(before: Date): Promise<number> {
    const ended = await this.sessions.delete([{ revokedAt: LessThan(before) }, { expiresAt: LessThan(before) }]);
    return ended.affected ?? 0;
  }

  private async findUsable(claims: TokenPayload, now: Date): Promise<Session> {
    const session = await this.sessions.findOne({ where: { id: claims.sid }, relations: { user: true } });
    if (!session || session.revokedAt || !session.user?.isActive || String(session.userId) !== claims.sub) {
      throw new ProblemException('unauthorized', { detail: 'The session has ended. Sign in again.' });
    }
    if (session.expiresAt <= now) {
      throw new ProblemException('unauthorized', { detail: 'The session reached its maximum age. Sign in again.' });
    }
    return session;
  }

  private async revoke(where: FindOptionsWhere<Session>, reason: RevocationReason): Promise<boolean> {
    const result = await this.sessions.update(
      { ...where, revokedAt: IsNull() },
      { revokedAt: new Date(), revokedReason: reason },
    );
    return Boolean(result.affected);
  }
}
