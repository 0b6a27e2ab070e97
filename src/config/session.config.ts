import { registerAs } from '@nestjs/config';
import { envDuration } from './env';

export const sessionConfig = registerAs('session', () => ({
  /** A just-rotated refresh token still answers, with the same new pair, for this long. */
  reuseGraceMs: envDuration('REFRESH_REUSE_GRACE', '10s', { allowZero: true }),
  /** No refresh past this age of the session, however often it was refreshed. */
  maxAgeMs: envDuration('SESSION_MAX_AGE', '30d'),
  /** How often ended sessions and spent codes are deleted; 0s turns the job off. */
  purgeIntervalMs: envDuration('PURGE_INTERVAL', '1h', { allowZero: true }),
  /** Ended sessions and spent codes are kept this long for auditing before the purge deletes them. */
  purgeRetentionMs: envDuration('PURGE_RETENTION', '7d'),
}));
