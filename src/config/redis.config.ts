import { registerAs } from '@nestjs/config';
import { envOptional, envString, reject } from './env';

function envRedisUrl(name: string): string | undefined {
  const value = envOptional(name);
  if (value !== undefined && !/^rediss?:\/\/\S+$/.test(value)) {
    return reject(name, `expected redis://host:6379 or rediss://…, got "${value}"`, undefined);
  }
  return value;
}

export const redisConfig = registerAs('redis', () => ({
  /** Shared state for every instance (rate-limit counters); in-process memory when unset. */
  url: envRedisUrl('REDIS_URL'),
  /** Namespaces the keys, so several deployments (or test runs) can share one Redis. */
  keyPrefix: envString('REDIS_KEY_PREFIX', 'otp-auth:'),
}));
