import { registerAs } from '@nestjs/config';
import { envDuration, envString } from './env';
import { envOptionalSecret, envSecret } from './secrets';

export const jwtConfig = registerAs('jwt', () => ({
  secret: envSecret('JWT_SECRET'),
  /** During a rotation: the key before JWT_SECRET, still accepted (never used to sign). */
  previousSecret: envOptionalSecret('JWT_PREVIOUS_SECRET'),
  accessTtlMs: envDuration('JWT_ACCESS_TTL', '15m'),
  refreshTtlMs: envDuration('JWT_REFRESH_TTL', '7d'),
  issuer: envString('JWT_ISSUER', 'otp-auth'),
  audience: envString('JWT_AUDIENCE', 'otp-auth'),
}));
