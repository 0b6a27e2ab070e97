import { registerAs } from '@nestjs/config';
import { envDuration, envInt, envOneOf } from './env';

/** Which sessions a phone-number change ends: the caller's others, all of them, or none. */
export const PHONE_CHANGE_REVOCATIONS = ['others', 'all', 'none'] as const;
export type PhoneChangeRevocation = (typeof PHONE_CHANGE_REVOCATIONS)[number];

export const accountConfig = registerAs('account', () => ({
  /** Sensitive actions need a sign-in or re-authentication on the session at most this old. */
  reauthMaxAgeMs: envDuration('REAUTH_MAX_AGE', '10m'),
  phoneChangeRevoke: envOneOf<PhoneChangeRevocation>('PHONE_CHANGE_REVOKE', 'others', PHONE_CHANGE_REVOCATIONS),
  /** Completed or attempted phone-number changes per user per 24 hours. */
  phoneChangeDailyLimit: envInt('PHONE_CHANGE_DAILY_LIMIT', 3, { min: 1 }),
  /**
   * Wrong second-factor proofs per number per 24 hours on the lost-phone route, from all clients
   * together; past it that route refuses the number, and signing in is not affected.
   */
  recoveryFailureLimit: envInt('ACCOUNT_RECOVERY_FAILURE_LIMIT', 10, { min: 1 }),
}));
