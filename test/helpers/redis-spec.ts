import Redis from 'ioredis';
import { randomBytes } from 'node:crypto';
import { ProblemException } from '../../src/common/errors/problem.exception';
import { closedPort } from './loopback';

/**
 * TEST_REDIS_URL for the specs that run against a real Redis, which skip without it; under CI
 * its absence is an error instead (DESIGN §8).
 */
export function specRedisUrl(spec: string): string | undefined {
  const url = process.env.TEST_REDIS_URL;
  if (!url && process.env.CI === 'true') {
    throw new Error(`CI=true but TEST_REDIS_URL is not set: the ${spec} spec would be skipped`);
  }
  return url;
}

/** A connection with the app's own options (rate-limit.module.ts): fail fast, never queue. */
export function connectRedis(url: string): Redis {
  return new Redis(url, {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectTimeout: 2_000,
    commandTimeout: 1_000,
  });
}

export function redisReady(redis: Redis): Promise<void> {
  return redis.status === 'ready' ? Promise.resolve() : new Promise<void>((resolve) => redis.once('ready', resolve));
}

/** A key prefix no other test uses, ending in `:<area>:`. */
export function uniqueSpecPrefix(area: string): string {
  return `otp-auth-test-${randomBytes(6).toString('hex')}:${area}:`;
}

/** A client of a Redis that is not there: a loopback port nothing listens on. */
export async function unreachableRedis(): Promise<Redis> {
  const redis = connectRedis(`redis://127.0.0.1:${await closedPort()}`);
  redis.on('error', () => undefined);
  return redis;
}

/** A store operation without its Redis: 503 service_unavailable with a Retry-After, never an answer. */
export async function expectFailsClosed(operation: Promise<unknown>): Promise<void> {
  const error: unknown = await operation.then(
    () => 'resolved',
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ProblemException);
  expect(error).toMatchObject({ code: 'service_unavailable', problem: { retryAfter: 5 } });
  expect((error as ProblemException).getStatus()).toBe(503);
}
