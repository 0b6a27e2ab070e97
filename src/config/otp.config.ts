import { registerAs } from '@nestjs/config';
import { envDuration, envInt } from './env';
import { envSecret } from './secrets';

export const otpConfig = registerAs('otp', () => ({
  secret: envSecret('OTP_SECRET', 'dev-only-otp-secret-change-me-in-production'),
  codeLength: envInt('OTP_CODE_LENGTH', 6, { min: 4, max: 10 }),
  ttlMs: envDuration('OTP_TTL', '5m'),
  maxAttempts: envInt('OTP_MAX_ATTEMPTS', 5, { min: 1, max: 100 }),
}));
