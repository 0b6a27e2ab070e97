import { registerAs } from '@nestjs/config';
import { envDuration, envOneOf, envString } from './env';
import { envOptionalSecret, envSecret } from './secrets';

/** `optional`: users choose a second factor; `required`: until they enrol one, a sign-in can only enrol one. */
export const MFA_POLICIES = ['optional', 'required'] as const;
export type MfaPolicy = (typeof MFA_POLICIES)[number];

export const mfaConfig = registerAs('mfa', () => ({
  policy: envOneOf<MfaPolicy>('MFA_POLICY', 'optional', MFA_POLICIES),
  /** Encrypts TOTP secrets at rest (AES-256-GCM with a key derived from it). */
  encryptionKey: envSecret('MFA_ENCRYPTION_KEY'),
  /** During a rotation: the key before MFA_ENCRYPTION_KEY; secrets sealed with it are re-sealed at boot. */
  previousEncryptionKey: envOptionalSecret('MFA_PREVIOUS_ENCRYPTION_KEY'),
  /** How long the `mfa_token` of a phone sign-in waits for its second factor. */
  challengeTtlMs: envDuration('MFA_CHALLENGE_TTL', '5m'),
  /** The name authenticator apps show beside the account. */
  totpIssuer: envString('MFA_TOTP_ISSUER', 'Phone OTP Auth'),
}));
