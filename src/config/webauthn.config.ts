import { registerAs } from '@nestjs/config';
import { envDuration, envString, isProduction, reject } from './env';

const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]']);

/** A relying-party ID is a bare host name: no scheme, port or path. */
function envRpId(name: string): string {
  const value = envString(name, 'localhost').trim().toLowerCase();
  return /^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/.test(value)
    ? value
    : reject(name, `expected a host name such as example.com (no scheme, port or path), got "${value}"`, 'localhost');
}

/**
 * The origins browsers may run a ceremony from. Each must be the RP ID's host or a subdomain of
 * it (WebAuthn refuses anything else, so a mismatch would only fail later, in every browser), and
 * production takes only https, loopback excepted: an http page can be rewritten by anyone on the way.
 */
function envOrigins(name: string, rpId: string): string[] {
  const value = envString(name, 'http://localhost:3000');
  const origins = value
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean);
  if (!origins.length) return reject(name, 'expected at least one origin such as https://example.com', []);
  for (const origin of origins) {
    const url = URL.canParse(origin) ? new URL(origin) : undefined;
    if (!url || !['http:', 'https:'].includes(url.protocol) || url.origin !== origin.replace(/\/$/, '')) {
      return reject(name, `"${origin}" is not an origin (scheme://host[:port], no path)`, []);
    }
    if (url.hostname !== rpId && !url.hostname.endsWith(`.${rpId}`)) {
      return reject(name, `"${origin}" is not on WEBAUTHN_RP_ID ${rpId} or a subdomain of it`, []);
    }
    if (isProduction() && url.protocol === 'http:' && !LOOPBACK.has(url.hostname)) {
      return reject(name, `"${origin}" must use https in production`, []);
    }
  }
  return origins.map((origin) => new URL(origin).origin);
}

export const webauthnConfig = registerAs('webauthn', () => {
  const rpId = envRpId('WEBAUTHN_RP_ID');
  return {
    rpId,
    rpName: envString('WEBAUTHN_RP_NAME', 'Phone OTP Auth'),
    origins: envOrigins('WEBAUTHN_ORIGINS', rpId),
    /** How long a registration or sign-in ceremony may take between its options and its answer. */
    challengeTtlMs: envDuration('WEBAUTHN_CHALLENGE_TTL', '5m'),
  };
});
