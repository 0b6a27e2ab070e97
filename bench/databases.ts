// Throw-away databases for each server process: a temp SQLite file, or a PostgreSQL database and a
// Redis key prefix made by the e2e tests' own helpers; all of it is removed by cleanup().
import { join } from 'node:path';
import pg from 'pg';
import { connectTestRedis, deleteRedisPrefix, uniqueRedisPrefix } from '../test/helpers/backends';
import { createTestDatabase, type TestDatabase } from '../test/helpers/databases';
import type { Backend } from './config';
import { openDataSource } from './data-source';

const START_HINT =
  'start it as DESIGN §8 says: pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start; ' +
  'redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no';

const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error));

/** The server's version, or an error that says how to start it. */
export async function checkPostgres(serverUrl: string): Promise<string> {
  const client = new pg.Client({ connectionString: `${serverUrl}/postgres`, connectionTimeoutMillis: 3_000 });
  try {
    await client.connect();
    return (await client.query<{ server_version: string }>('SHOW server_version')).rows[0].server_version;
  } catch (error) {
    throw new Error(`PostgreSQL at ${serverUrl} is not reachable (${messageOf(error)}); ${START_HINT}`, {
      cause: error,
    });
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** The server's version, or an error that says how to start it. */
export async function checkRedis(url: string): Promise<string> {
  const redis = connectTestRedis(url);
  // The failed command below says why; ioredis would also log every reconnection attempt.
  redis.on('error', () => undefined);
  try {
    return /redis_version:(\S+)/.exec(await redis.info('server'))?.[1] ?? 'unknown';
  } catch (error) {
    throw new Error(`Redis at ${url} is not reachable (${messageOf(error)}); ${START_HINT}`, { cause: error });
  } finally {
    redis.disconnect();
  }
}

export class BenchDatabases {
  private readonly postgres: TestDatabase[] = [];
  private readonly redisPrefixes: string[] = [];

  constructor(private readonly options: { tmpDir: string; pgUrl: string; redisUrl: string }) {}

  /**
   * A new empty database for one server process: for SQLite a file in the temp directory (the app
   * and its code issuer, or a baseline and the harness, share it), for PostgreSQL a test database.
   */
  async create(backend: Backend, name: string): Promise<string> {
    if (backend === 'sqlite') return `sqlite:${join(this.options.tmpDir, `${name}.sqlite`)}`;
    const database = await createTestDatabase('postgres', this.options.pgUrl);
    this.postgres.push(database);
    return database.url;
  }

  /** A Redis key prefix of one app process's own, deleted by cleanup(). */
  redisPrefix(): string {
    const prefix = uniqueRedisPrefix();
    this.redisPrefixes.push(prefix);
    return prefix;
  }

  /** The app's schema, by the app's migrations (the baselines do not boot the app). */
  async migrate(databaseUrl: string): Promise<void> {
    await (await openDataSource(databaseUrl, { migrate: true })).destroy();
  }

  /** What could not be removed, one line each. */
  async cleanup(): Promise<string[]> {
    const failures: string[] = [];
    for (const database of this.postgres.splice(0)) {
      await database.drop().catch((error) => failures.push(`${database.url}: ${messageOf(error)}`));
    }
    for (const prefix of this.redisPrefixes.splice(0)) {
      await deleteRedisPrefix(prefix, this.options.redisUrl).catch((error) =>
        failures.push(`redis ${prefix}*: ${messageOf(error)}`),
      );
    }
    return failures;
  }
}
