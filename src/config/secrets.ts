import { envOptional, envString, isProduction, reject } from './env';

/** What the service runs with when its keys are unset: development only, public. */
export const DEVELOPMENT_SECRETS = {
  JWT_SECRET: 'dev-only-jwt-secret-change-me-in-production',
  OTP_SECRET: 'dev-only-otp-secret-change-me-in-production',
  MFA_ENCRYPTION_KEY: 'dev-only-mfa-encryption-key-change-me-in-production',
} as const;

/** The keys that must each be a random value of their own in production. */
export const SECRET_VARIABLES = [
  'JWT_SECRET',
  'JWT_PREVIOUS_SECRET',
  'OTP_SECRET',
  'MFA_ENCRYPTION_KEY',
  'MFA_PREVIOUS_ENCRYPTION_KEY',
  'METRICS_TOKEN',
  'SMS_WEBHOOK_SECRET',
] as const;
export type SecretVariable = (typeof SECRET_VARIABLES)[number];

/**
 * Values published in this repository (the development values, .env.example, docs/deployment.md,
 * the README): anyone can read them, so production refuses them in every secret. Compared with
 * case, `-`, `_` and spaces ignored, and anything containing "change me" counts as one.
 */
export const PLACEHOLDER_SECRETS = [...Object.values(DEVELOPMENT_SECRETS), 'CHANGE_ME', 'change-me', 'changeme', '…'];

export const MIN_SECRET_BYTES = 32;
export const MIN_SECRET_DISTINCT_CHARACTERS = 10;

const GENERATE = 'e.g. `openssl rand -base64 48`';

const normalise = (value: string) => value.toLowerCase().replace(/[^\p{L}\p{N}]/gu, '');
const PLACEHOLDERS = new Set(PLACEHOLDER_SECRETS.map(normalise));

/** A published value: one of PLACEHOLDER_SECRETS, "change me" in any spelling, or punctuation only ("…", "***"). */
export function isPlaceholderSecret(value: string): boolean {
  const key = normalise(value);
  return key === '' || PLACEHOLDERS.has(key) || key.includes('changeme');
}

/**
 * The entropy rule: a secret is too predictable when it has fewer than 10 different characters
 * (`aaaa…`, `abab…`, a binary string) or is a shorter string repeated at least twice, the last copy
 * perhaps cut short (`0123456789` × 4, `passwordpassword…`). Random keys pass whatever their
 * encoding: 32 random bytes as hex (64 characters) have fewer than 10 different characters with a
 * probability of about 1e-12, as base64 far less.
 */
export function isLowEntropySecret(value: string): boolean {
  const characters = [...value];
  return (
    new Set(characters).size < MIN_SECRET_DISTINCT_CHARACTERS || shortestPeriod(characters) <= characters.length / 2
  );
}

/** The smallest p with value[i] === value[i - p] for every i ≥ p (the value's length when none is shorter). */
function shortestPeriod(characters: string[]): number {
  // Knuth–Morris–Pratt failure function: the longest proper prefix that is also a suffix.
  const border = new Array<number>(characters.length).fill(0);
  for (let i = 1, k = 0; i < characters.length; i++) {
    while (k > 0 && characters[i] !== characters[k]) k = border[k - 1];
    if (characters[i] === characters[k]) k++;
    border[i] = k;
  }
  return characters.length - (border[characters.length - 1] ?? 0);
}

/**
 * A signing key. Development gets a fixed value so the service starts with no set-up; production
 * refuses it, because a known or guessable key lets anyone mint tokens or precompute every code's HMAC.
 */
export function envSecret(name: SecretVariable & keyof typeof DEVELOPMENT_SECRETS): string {
  return strongInProduction(name, envString(name, DEVELOPMENT_SECRETS[name]));
}

/** A key that may be absent (JWT_PREVIOUS_SECRET, METRICS_TOKEN, …); when set, held to the same rules. */
export function envOptionalSecret(name: SecretVariable): string | undefined {
  const value = envOptional(name);
  return value === undefined ? undefined : strongInProduction(name, value);
}

/**
 * A credential another party issues in its own format (TWILIO_AUTH_TOKEN): only the published
 * placeholders are refused in production, since its length and alphabet are not ours to choose.
 */
export function envCredential(name: string): string | undefined {
  const value = envOptional(name);
  if (value !== undefined && isProduction() && isPlaceholderSecret(value)) {
    return reject(name, 'is a placeholder published in this repository; set the real value', value);
  }
  return value;
}

/**
 * Production's rules for a secret, the first one broken reported: no published placeholder, at
 * least 32 bytes, not low-entropy (isLowEntropySecret), and equal to none of the other secrets that
 * are set, so that one leaked key (the metrics scraper's token, say) is not also the signing key.
 */
function strongInProduction(name: SecretVariable, value: string): string {
  const problem = isProduction() ? weakness(name, value) : undefined;
  return problem ? reject(name, `${problem}; set a random value of at least 32 bytes, ${GENERATE}`, value) : value;
}

function weakness(name: SecretVariable, value: string): string | undefined {
  const problem = secretWeakness(value);
  if (problem) return problem;
  const same = SECRET_VARIABLES.filter((other) => other !== name && envOptional(other) === value);
  return same.length ? `must differ from ${same.join(' and ')}: each secret needs a value of its own` : undefined;
}

/** What makes a value too weak for a production secret (placeholder, length, entropy), if anything. */
export function secretWeakness(value: string): string | undefined {
  if (isPlaceholderSecret(value)) return 'is a development or documentation placeholder, refused in production';
  if (Buffer.byteLength(value) < MIN_SECRET_BYTES) return `must be at least ${MIN_SECRET_BYTES} bytes in production`;
  if (isLowEntropySecret(value)) {
    return `is too predictable for production (fewer than ${MIN_SECRET_DISTINCT_CHARACTERS} different characters, or one short sequence repeated)`;
  }
  return undefined;
}

/** How a production secret is made, for messages that refuse a weak one. */
export const GENERATE_SECRET = GENERATE;
