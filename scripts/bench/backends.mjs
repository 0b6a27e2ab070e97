// Throw-away databases for each server process: a temp SQLite file, or a PostgreSQL database
// named bench_test_<run>_<name> on the local server, plus a Redis key prefix of the same run; all
// of it is removed by cleanup(). Schemas come from the app's own compiled migrations.
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import Redis from 'ioredis';
import pg from 'pg';
import { ROOT } from './config.mjs';

const require = createRequire(import.meta.url);

const START_HINT =
  'start it as DESIGN §8 says: pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start; ' +
  'redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no';

export async function checkPostgres(serverUrl) {
  const client = new pg.Client({ connectionString: `${serverUrl}/postgres`, connectionTimeoutMillis: 3_000 });
  try {
    await client.connect();
    return (await client.query('SHOW server_version')).rows[0].server_version;
  } catch (error) {
    throw new Error(`PostgreSQL at ${serverUrl} is not reachable (${error.message}); ${START_HINT}`, { cause: error });
  } finally {
    await client.end().catch(() => undefined);
  }
}

export async function checkRedis(url) {
  const redis = new Redis(url, { lazyConnect: true, connectTimeout: 3_000, maxRetriesPerRequest: 0 });
  try {
    await redis.connect();
    return (await redis.info('server')).match(/redis_version:(\S+)/)?.[1] ?? 'unknown';
  } catch (error) {
    throw new Error(`Redis at ${url} is not reachable (${error.message}); ${START_HINT}`, { cause: error });
  } finally {
    redis.disconnect();
  }
}

export class Databases {
  pgDatabases = [];

  constructor({ runId, tmpDir, pgUrl, redisUrl }) {
    Object.assign(this, { runId, tmpDir, pgUrl, redisUrl });
  }

  /** A new empty database for one server process; `name` is [a-z0-9_]. */
  async create(backend, name) {
    if (backend === 'sqlite') return `sqlite:${join(this.tmpDir, `${name}.sqlite`)}`;
    const database = `bench_test_${this.runId}_${name}`;
    await this.admin((client) => client.query(`CREATE DATABASE "${database}"`));
    this.pgDatabases.push(database);
    return `${this.pgUrl}/${database}`;
  }

  redisPrefix(name) {
    this.usedRedis = true;
    return `bench_test:${this.runId}:${name}:`;
  }

  /** The app's schema, by the app's migrations from dist/ (the baselines do not boot the app). */
  async migrate(databaseUrl) {
    const { typeOrmOptions, runMigrations } = require(resolve(ROOT, 'dist/src/config/typeorm.options.js'));
    const { parseDatabaseUrl } = require(resolve(ROOT, 'dist/src/config/database.config.js'));
    const { DataSource } = require('typeorm');
    const options = typeOrmOptions({
      target: parseDatabaseUrl(databaseUrl),
      migrationsRun: true,
      poolSize: 2,
      connectTimeoutMs: 5_000,
      statementTimeoutMs: 60_000,
    });
    const dataSource = await new DataSource({ ...options, migrationsRun: false }).initialize();
    try {
      await runMigrations(dataSource);
    } finally {
      await dataSource.destroy();
    }
  }

  async cleanup() {
    const failures = [];
    for (const database of this.pgDatabases.splice(0)) {
      await this.admin((client) => client.query(`DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`)).catch((error) =>
        failures.push(`${database}: ${error.message}`),
      );
    }
    if (this.usedRedis) await this.deleteRedisKeys().catch((error) => failures.push(`redis: ${error.message}`));
    return failures;
  }

  async deleteRedisKeys() {
    const redis = new Redis(this.redisUrl, { connectTimeout: 3_000, maxRetriesPerRequest: 1 });
    try {
      let cursor = '0';
      // Bounded: 100,000 SCAN pages of 1,000 keys is far more than any run writes.
      for (let page = 0; page < 100_000; page++) {
        const [next, keys] = await redis.scan(cursor, 'MATCH', `bench_test:${this.runId}:*`, 'COUNT', 1_000);
        if (keys.length) await redis.unlink(...keys);
        cursor = next;
        if (cursor === '0') break;
      }
    } finally {
      redis.disconnect();
    }
  }

  async admin(work) {
    const client = new pg.Client({ connectionString: `${this.pgUrl}/postgres`, connectionTimeoutMillis: 5_000 });
    await client.connect();
    try {
      return await work(client);
    } finally {
      await client.end();
    }
  }
}
