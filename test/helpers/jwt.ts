import { createHmac } from 'node:crypto';
import { DEVELOPMENT_SECRETS } from '../../src/config/secrets';

/** The JWT secret the app uses when JWT_SECRET is unset. */
export const DEV_JWT_SECRET: string = DEVELOPMENT_SECRETS.JWT_SECRET;

const encode = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');
const decode = (part: string): Record<string, unknown> =>
  JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) as Record<string, unknown>;

export interface DecodedJwt {
  header: Record<string, unknown>;
  payload: Record<string, unknown>;
}

/** Reads a JWT's header and claims without checking the signature. */
export function decodeJwt(token: string): DecodedJwt {
  const [header, payload] = token.split('.');
  return { header: decode(header), payload: decode(payload) };
}

/**
 * Builds a JWT by hand, so tests can forge every variant the server must refuse: any `alg`
 * (HS256/HS512 signed with `secret`, `none` unsigned), any claims.
 */
export function encodeJwt(header: Record<string, unknown>, payload: Record<string, unknown>, secret = ''): string {
  const unsigned = `${encode(header)}.${encode(payload)}`;
  const hash = { HS256: 'sha256', HS384: 'sha384', HS512: 'sha512' }[header.alg as string];
  const signature = hash ? createHmac(hash, secret).update(unsigned).digest('base64url') : '';
  return `${unsigned}.${signature}`;
}

/** Replaces a signed token's claims but keeps its original signature. */
export function tamperPayload(token: string, changes: Record<string, unknown>): string {
  const [header, payload, signature] = token.split('.');
  return `${header}.${encode({ ...decode(payload), ...changes })}.${signature}`;
}
