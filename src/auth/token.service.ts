import { Inject, Injectable } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { JwtService } from '@nestjs/jwt';
import { randomUUID } from 'node:crypto';
import { toSeconds } from '../config/duration';
import { jwtConfig } from '../config';
import type { TokensDto } from './dto/verify-otp.dto';

export type TokenType = 'access' | 'refresh';

/** Claims of both token types; `typ` keeps one from being accepted where the other is expected. */
export interface TokenPayload {
  sub: string;
  typ: TokenType;
  jti: string;
  iat: number;
  exp: number;
  iss: string;
  aud: string;
}

@Injectable()
export class TokenService {
  constructor(
    private readonly jwt: JwtService,
    @Inject(jwtConfig.KEY) private readonly config: ConfigType<typeof jwtConfig>,
  ) {}

  async issuePair(userId: number): Promise<TokensDto> {
    const [access, refresh] = await Promise.all([
      this.sign(userId, 'access', this.config.accessTtlMs),
      this.sign(userId, 'refresh', this.config.refreshTtlMs),
    ]);
    return { access, refresh };
  }

  private sign(userId: number, typ: TokenType, ttlMs: number): Promise<string> {
    return this.jwt.signAsync({ typ }, { subject: String(userId), jwtid: randomUUID(), expiresIn: toSeconds(ttlMs) });
  }
}
