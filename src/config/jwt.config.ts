import { registerAs } from '@nestjs/config';
import { EnvError, envDuration, envOptional, envString, isProduction } from './env';
import { envSecret } from './secrets';

function envPreviousSecret(name: string): string | undefined {
  const value = envOptional(name);
  if (value !== undefined && isProduction() && Buffer.byteLength(value) < 32) {
    throw new EnvError(name, 'must be at least 32 bytes in production');
  }
  return value;
}

export const jwtConfig = registerAs('jwt', () => ({
  secret: envSecret('JWT_SECRET', 'dev-only-jwt-secret-change-me-in-production'),
  /** During a rotation: the key before JWT_SECRET, still accepted (never used to sign). */
  previousSecret: envPreviousSecret('JWT_PREVIOUS_SECRET'),
  accessTtlMs: envDuration('JWT_ACCESS_TTL', '15m'),
  refreshTtlMs: envDuration('JWT_REFRESH_TTL', '7d'),
  issuer: envString('JWT_ISSUER', 'otp-auth'),
  audience: envString('JWT_AUDIENCE', 'otp-auth'),
}));
