import { Inject, Injectable } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { PassportStrategy } from '@nestjs/passport';
import { ExtractJwt, Strategy } from 'passport-jwt';
import type { AuthenticatedUser } from '../common/auth.decorators';
import { jwtConfig } from '../config';
import type { TokenPayload } from './token.service';

@Injectable()
export class JwtStrategy extends PassportStrategy(Strategy) {
  constructor(@Inject(jwtConfig.KEY) config: ConfigType<typeof jwtConfig>) {
    super({
      jwtFromRequest: ExtractJwt.fromAuthHeaderAsBearerToken(),
      secretOrKey: config.secret,
      // Pinned: accepting the header's `alg` is how `none` and key-confusion attacks get in.
      algorithms: ['HS256'],
      issuer: config.issuer,
      audience: config.audience,
    });
  }

  /** A refresh token is refused here, so it cannot be used as a longer-lived access token. */
  validate(payload: TokenPayload): AuthenticatedUser | false {
    if (payload.typ !== 'access' || !/^[1-9]\d{0,15}$/.test(payload.sub)) return false;
    return { userId: Number(payload.sub) };
  }
}
