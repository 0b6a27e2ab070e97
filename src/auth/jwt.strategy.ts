import { Inject, Injectable } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { PassportStrategy } from '@nestjs/passport';
import { ExtractJwt, Strategy } from 'passport-jwt';

import { jwtConfig } from '../config';
import { SessionsService } from '../sessions/sessions.service';
import { SigningKeys } from '../sessions/signing-keys';
import { isWellFormed, type TokenPayload } from '../sessions/token.service';
import type { AuthenticatedUser } from '../users/authenticated-user';

@Injectable()
export class JwtStrategy extends PassportStrategy(Strategy) {
  constructor(
    @Inject(jwtConfig.KEY) config: ConfigType<typeof jwtConfig>,
    keys: SigningKeys,
    private readonly sessions: SessionsService,
  ) {
    super({
      jwtFromRequest: ExtractJwt.fromAuthHeaderAsBearerToken(),
      // An unknown `kid` fails like a bad signature: passport-jwt reports it as a 401, not an error.
      secretOrKeyProvider: (_request: unknown, token: string, done: (error: Error | null, key?: Buffer) => void) => {
        const key = keys.keyFor(token);
        // jsonwebtoken takes the KeyObject as it is; @types/passport-jwt predates KeyObjects.
        return key ? done(null, key as unknown as Buffer) : done(new Error('unknown signing key'));
      },
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
