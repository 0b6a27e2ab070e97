import { registerAs } from '@nestjs/config';
import { EnvError, envDuration, envInt, envOptional, envString } from './env';

function envRedisUrl(name: string): string | undefined {
  const value = envOptional(name);
  if (value !== undefined && !/^rediss?:\/\/\S+$/.test(value)) {
    throw new EnvError(name, `expected redis://host:6379 or rediss://…, got "${value}"`);
  }
  return value;
}

export const throttleConfig = registerAs('throttle', () => ({
  /** Shared counters for every instance; in-process memory when unset. */
  redisUrl: envRedisUrl('REDIS_URL'),
  /** Namespaces the keys, so several deployments (or test runs) can share one Redis. */
  redisKeyPrefix: envString('REDIS_KEY_PREFIX', 'otp-auth:'),
  /** Without Redis: how many counters the process keeps before forgetting the least recent. */
  memoryMaxKeys: envInt('RATE_LIMIT_MEMORY_MAX_KEYS', 100_000, { min: 1_000 }),
  limit: envInt('THROTTLE_LIMIT', 120, { min: 1 }),
  ttlMs: envDuration('THROTTLE_TTL', '60s'),
  otpIpSendLimit: envInt('OTP_IP_SEND_LIMIT', 20, { min: 1 }),
  otpIpSendWindowMs: envDuration('OTP_IP_SEND_WINDOW', '1h'),
  otpIpVerifyLimit: envInt('OTP_IP_VERIFY_LIMIT', 30, { min: 1 }),
  otpIpVerifyWindowMs: envDuration('OTP_IP_VERIFY_WINDOW', '5m'),
}));
