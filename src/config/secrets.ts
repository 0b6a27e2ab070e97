import { envOptional, envString, isProduction, reject } from './env';

const MIN_SECRET_BYTES = 32;

/**
 * A signing key. Development gets a fixed placeholder so the service starts with no set-up;
 * production refuses the placeholder and anything shorter than 32 bytes, because a guessable key
 * lets anyone mint tokens or precompute every code's HMAC.
 */
export function envSecret(name: string, developmentValue: string): string {
  const value = envString(name, developmentValue);
  if (!isProduction()) return value;
  if (value === developmentValue) {
    return reject(
      name,
      'set a random secret of at least 32 bytes; the development value is refused in production',
      value,
    );
  }
  return longEnough(name, value);
}

/** A key that may be absent (JWT_PREVIOUS_SECRET during a rotation); when set, held to the same length. */
export function envOptionalSecret(name: string): string | undefined {
  const value = envOptional(name);
  return value === undefined ? undefined : longEnough(name, value);
}

function longEnough(name: string, value: string): string {
  if (isProduction() && Buffer.byteLength(value) < MIN_SECRET_BYTES) {
    return reject(name, `must be at least ${MIN_SECRET_BYTES} bytes in production`, value);
  }
  return value;
}
