import { randomBytes } from 'node:crypto';
import Redis from 'ioredis';
import { dialects, type Dialect } from './databases';

/** What an e2e app stores its rows and its rate-limit counters in. */
export type Backend = Dialect | `${Dialect}+redis`;

/**
 * The combinations the suites about limits run on: every dialect with in-process counters, and
 * the best available database with Redis when TEST_REDIS_URL is set. Under CI a missing Redis is
 * an error, not a quiet skip (dialects() does the same for PostgreSQL).
 */
export function backends(): Backend[] {
  const databases = dialects();
  if (!process.env.TEST_REDIS_URL) {
    if (process.env.CI === 'true') {
      throw new Error('CI=true but TEST_REDIS_URL is not set: the Redis e2e suites would be skipped');
    }
    return databases;
  }
  return [...databases, `${databases[databases.length - 1]}+redis`];
}

export function parseBackend(backend: Backend): { dialect: Dialect; redis: boolean } {
  const [dialect, store] = backend.split('+') as [Dialect, string?];
  return { dialect, redis: store === 'redis' };
}

/** Whether the PostgreSQL + Redis suites can run; under CI their absence is an error. */
export function productionBackendsAvailable(): boolean {
  return backends().includes('postgres+redis');
}

/** TEST_REDIS_URL, or an error that says to set it. */
export function testRedisUrl(): string {
  const url = process.env.TEST_REDIS_URL;
  if (!url) throw new Error('TEST_REDIS_URL is not set: start Redis and set it, e.g. redis://127.0.0.1:6379');
  return url;
}

/** A key prefix no other test run or app shares, so tests on one Redis never see each other's counters. */
export function uniqueRedisPrefix(): string {
  return `otp-auth-test-${randomBytes(6).toString('hex')}:`;
}

/** A short-lived connection to the test Redis that fails fast instead of retrying. */
export function connectTestRedis(url = testRedisUrl()): Redis {
  return new Redis(url, { maxRetriesPerRequest: 1, connectTimeout: 2_000, lazyConnect: false });
}

/** Every key under `prefix`, sorted; SCAN rather than KEYS so a shared Redis is never blocked. */
export async function keysUnder(redis: Redis, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  let cursor = '0';
  do {
    const [next, batch] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
    keys.push(...batch);
    cursor = next;
  } while (cursor !== '0');
  return keys.sort();
}

/** Deletes every key under `prefix` in the test Redis. */
export async function deleteRedisPrefix(prefix: string, url = testRedisUrl()): Promise<void> {
  const redis = connectTestRedis(url);
  try {
    const keys = await keysUnder(redis, prefix);
    for (let i = 0; i < keys.length; i += 500) await redis.unlink(...keys.slice(i, i + 500));
  } finally {
    redis.disconnect();
  }
}
