import Redis from 'ioredis';
import { randomBytes } from 'node:crypto';

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
