import { registerAs } from '@nestjs/config';
import { envBool, envDuration, envInt, envString, reject } from './env';

export type DatabaseTarget = { type: 'sqlite'; database: string } | { type: 'postgres'; url: string };

/** `sqlite:PATH`, `sqlite::memory:` or `postgres://…`; anything else stops the boot. */
export function parseDatabaseUrl(url: string): DatabaseTarget {
  if (url.startsWith('sqlite:')) {
    const database = url.slice('sqlite:'.length);
    if (database) return { type: 'sqlite', database };
  } else if (/^postgres(ql)?:\/\//.test(url)) {
    return { type: 'postgres', url };
  }
  return reject('DATABASE_URL', `expected sqlite:PATH, sqlite::memory: or postgres://…, got "${url}"`, {
    type: 'sqlite',
    database: ':memory:',
  });
}

export const databaseConfig = registerAs('database', () => ({
  target: parseDatabaseUrl(envString('DATABASE_URL', 'sqlite:data/otp-auth.sqlite')),
  migrationsRun: envBool('DATABASE_MIGRATIONS_RUN', true),
  /** PostgreSQL pool: connections per instance, and how long to wait for one or for a statement. */
  poolSize: envInt('DATABASE_POOL_SIZE', 10, { min: 1, max: 1000 }),
  /** Connection attempts at boot before giving up (2 s apart), for a database still starting. */
  connectRetries: envInt('DATABASE_CONNECT_RETRIES', 5, { max: 100 }),
  connectTimeoutMs: envDuration('DATABASE_CONNECT_TIMEOUT', '5s'),
  statementTimeoutMs: envDuration('DATABASE_STATEMENT_TIMEOUT', '10s'),
}));
