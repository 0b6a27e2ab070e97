import { registerAs } from '@nestjs/config';
import { envDuration } from './env';

export const sessionConfig = registerAs('session', () => ({
  /** A just-rotated refresh token still answers, with the same new pair, for this long. */
  reuseGraceMs: envDuration('REFRESH_REUSE_GRACE', '10s', { allowZero: true }),
  /** No refresh past this age of the session, however often it was refreshed. */
  maxAgeMs: envDuration('SESSION_MAX_AGE', '30d'),
}));
