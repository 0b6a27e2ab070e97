import { Inject, Injectable } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { PassportStrategy } from '@nestjs/passport';
import { ExtractJwt, Strategy } from 'passport-jwt';
import type { AuthenticatedUser } from '../common/auth.decorators';
import { jwtConfig } from '../config';
import { SessionsService } from './sessions.service';
import { isWellFormed, type TokenPayload } from './token.service';

@Injectable()
export class JwtStrategy extends PassportStrategy(Strategy) {
  constructor(
    @Inject(jwtConfig.KEY) config: ConfigType<typeof jwtConfig>,
    private readonly sessions: SessionsService,
  ) {
    super({
      jwtFromRequest: ExtractJwt.fromAuthHeaderAsBearerToken(),
      secretOrKey: config.secret,
      // Pinned: accepting the header's `alg` is how `none` and key-confusion attacks get in.
      algorithms: ['HS256'],
      issuer: config.issuer,
      audience: config.audience,
    });
  }

  /**
   * Only access tokens (a refresh token is no longer-lived access token) of a live session of an
   * active user: logout and revocation take effect at once, not when the token expires.
   */
  async validate(payload: Partial<TokenPayload>): Promise<AuthenticatedUser | false> {
    if (!isWellFormed(payload) || payload.typ !== 'access') return false;
    return (await this.sessions.authenticate(payload)) ?? false;
  }
}
