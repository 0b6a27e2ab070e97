import { registerAs } from '@nestjs/config';
import { envDuration } from './env';

export const purgeConfig = registerAs('purge', () => ({
  /** How often ended sessions and spent codes are deleted; 0s turns the job off. */
  intervalMs: envDuration('PURGE_INTERVAL', '1h', { allowZero: true }),
  /** Ended sessions and spent codes are kept this long for auditing before the purge deletes them. */
  retentionMs: envDuration('PURGE_RETENTION', '7d'),
}));
