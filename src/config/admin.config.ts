import { registerAs } from '@nestjs/config';
import { createHash } from 'node:crypto';
import { envDuration, envOptional, envString, isProduction, reject } from './env';
import { envCountry } from './phone.config';
import { GENERATE_SECRET, secretWeakness } from './secrets';

/** One admin credential: its name is the actor recorded in the audit trail. */
export interface AdminToken {
  name: string;
  /** SHA-256 of the token: the token itself is not kept in memory after the boot. */
  hash: Buffer;
}

/** Price of one message by country (ISO code), and for every other country. */
export interface SmsPrices {
  byCountry: Map<string, number>;
  otherwise: number | undefined;
}

export function hashAdminToken(token: string): Buffer {
  return createHash('sha256').update(token).digest();
}

/** `name:token,name:token`: several so a token can be rotated without a gap; each name unique. */
function envAdminTokens(name: string): AdminToken[] {
  const tokens: AdminToken[] = [];
  for (const entry of (envOptional(name) ?? '')
    .split(',')
    .map((e) => e.trim())
    .filter(Boolean)) {
    const colon = entry.indexOf(':');
    const admin = colon > 0 ? entry.slice(0, colon) : '';
    const token = entry.slice(colon + 1);
    if (!/^[A-Za-z0-9_.-]{1,64}$/.test(admin) || token === '') {
      reject(name, 'expected NAME:TOKEN entries (names of letters, digits, "_", "." or "-")', undefined);
      continue;
    }
    if (tokens.some((other) => other.name === admin)) reject(name, `the name "${admin}" is used twice`, undefined);
    const weakness = isProduction() ? secretWeakness(token) : undefined;
    if (weakness)
      reject(name, `the token of "${admin}" ${weakness}; use a random value, ${GENERATE_SECRET}`, undefined);
    tokens.push({ name: admin, hash: hashAdminToken(token) });
  }
  return tokens;
}

/** `US:0.0079,GB:0.04,*:0.05`: the price of one message in SMS_PRICE_CURRENCY. */
function envSmsPrices(name: string): SmsPrices {
  const prices: SmsPrices = { byCountry: new Map(), otherwise: undefined };
  for (const entry of (envOptional(name) ?? '')
    .split(',')
    .map((e) => e.trim())
    .filter(Boolean)) {
    const [country = '', price = ''] = entry.split(':').map((part) => part.trim());
    if (!/^(0|[1-9][0-9]*)(\.[0-9]+)?$/.test(price)) {
      reject(name, `expected COUNTRY:PRICE entries such as US:0.0079 or *:0.05, got "${entry}"`, undefined);
    } else if (country === '*') {
      prices.otherwise = Number(price);
    } else {
      const code = envCountry(name, country);
      if (code) prices.byCountry.set(code, Number(price));
    }
  }
  return prices;
}

export const adminConfig = registerAs('admin', () => ({
  /** Empty: the admin API and console do not exist. */
  tokens: envAdminTokens('ADMIN_API_TOKENS'),
  /** For the analytics' spend estimate; countries without a price are left out of it. */
  smsPrices: envSmsPrices('SMS_PRICES'),
  currency: envString('SMS_PRICE_CURRENCY', 'USD'),
  /** Audit events older than this are purged (every PURGE_INTERVAL). */
  auditRetentionMs: envDuration('AUDIT_RETENTION', '90d'),
}));
