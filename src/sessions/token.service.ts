import { Inject, Injectable } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { JwtService } from '@nestjs/jwt';
import { createHash } from 'node:crypto';
import { ProblemException } from '../common/errors/problem.exception';
import { UUID } from '../common/uuid';
import { jwtConfig } from '../config';
import { toSeconds } from '../config/duration';
import type { TokensDto } from './dto/tokens.dto';
import type { Session } from './session.entity';

export type TokenType = 'access' | 'refresh';

/** Claims of both token types; `typ` keeps one from being accepted where the other is expected. */
export interface TokenPayload {
  sub: string;
  typ: TokenType;
  sid: string;
  jti: string;
  iat: number;
  exp: number;
  iss: string;
  aud: string;
}

/** The columns of a session its token pair is made from. */
export type Generation = Pick<Session, 'id' | 'userId' | 'refreshJti' | 'rotatedAt'>;

@Injectable()
export class TokenService {
  constructor(
    private readonly jwt: JwtService,
    @Inject(jwtConfig.KEY) private readonly config: ConfigType<typeof jwtConfig>,
  ) {}

  /**
   * The pair for the session's current refresh generation. It is a pure function of the session
   * row (HS256 signatures are deterministic), which is what lets a refresh racing inside the grace
   * window receive the very same pair without any token being stored. Synchronous, as HS256 is:
   * jsonwebtoken's callback form signs through a stream, for nothing.
   */
  issuePair(session: Generation): TokensDto {
    const iat = Math.floor(session.rotatedAt.getTime() / 1000);
    return {
      access: this.sign(session, 'access', accessJtiOf(session.refreshJti), iat, this.config.accessTtlMs),
      refresh: this.sign(session, 'refresh', session.refreshJti, iat, this.config.refreshTtlMs),
    };
  }

  /** Signature (HS256 only), issuer, audience, expiry and type; anything else is `unauthorized`. */
  verify(token: string, typ: TokenType): TokenPayload {
    const claims = this.checked(token);
    if (!isWellFormed(claims) || claims.typ !== typ) {
      throw new ProblemException('unauthorized', { detail: `The ${typ} token is invalid or expired.` });
    }
    return claims;
  }

  private checked(token: string): Partial<TokenPayload> | null {
    try {
      return this.jwt.verify<TokenPayload>(token);
    } catch {
      return null;
    }
  }

  private sign(session: Generation, typ: TokenType, jti: string, iat: number, ttlMs: number): string {
    return this.jwt.sign(
      { typ, sid: session.id, iat },
      { subject: String(session.userId), jwtid: jti, expiresIn: toSeconds(ttlMs) },
    );
  }
}

/** The access token's `jti`, derived from its refresh generation so that a pair is a pure function of it. */
export function accessJtiOf(refreshJti: string): string {
  return createHash('sha256').update(`access:${refreshJti}`).digest('hex').slice(0, 32);
}

/**
 * The claims every token we issue has, checked before any lookup: jsonwebtoken accepts a token
 * without `exp` (it would never expire), and ids of the wrong shape must not reach the database.
 */
export function isWellFormed(claims: Partial<TokenPayload> | null): claims is TokenPayload {
  return (
    typeof claims?.sub === 'string' &&
    /^[1-9]\d*$/.test(claims.sub) &&
    Number.isSafeInteger(Number(claims.sub)) &&
    typeof claims.sid === 'string' &&
    UUID.test(claims.sid) &&
    typeof claims.jti === 'string' &&
    Number.isInteger(claims.exp)
  );
}
