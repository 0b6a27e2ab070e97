import { registerAs } from '@nestjs/config';
import { envDuration, envInt } from './env';

export const throttleConfig = registerAs('throttle', () => ({
  /** Without Redis: how many counters the process keeps before forgetting the least recent. */
  memoryMaxKeys: envInt('RATE_LIMIT_MEMORY_MAX_KEYS', 100_000, { min: 1_000 }),
  limit: envInt('THROTTLE_LIMIT', 120, { min: 1 }),
  ttlMs: envDuration('THROTTLE_TTL', '60s'),
  otpIpSendLimit: envInt('OTP_IP_SEND_LIMIT', 20, { min: 1 }),
  otpIpSendWindowMs: envDuration('OTP_IP_SEND_WINDOW', '1h'),
  otpIpVerifyLimit: envInt('OTP_IP_VERIFY_LIMIT', 30, { min: 1 }),
  otpIpVerifyWindowMs: envDuration('OTP_IP_VERIFY_WINDOW', '5m'),
}));
