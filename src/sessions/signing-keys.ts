import { Inject, Injectable, Module } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { JwtSecretRequestType, type JwtModuleOptions } from '@nestjs/jwt';
import { createHash, createSecretKey, randomBytes, type KeyObject } from 'node:crypto';
import { jwtConfig } from '../config';

/** A short, non-secret name for a key, carried as the token header's `kid`. */
export function keyId(secret: string): string {
  return createHash('sha256').update(secret).digest('base64url').slice(0, 12);
}

/**
 * The HS256 keys tokens are checked with: JWT_SECRET, which also signs, and during a rotation
 * JWT_PREVIOUS_SECRET, so tokens issued before the switch keep working until they expire
 * instead of signing every user out at once. The `kid` header says which key signed a token.
 *
 * Keys are `KeyObject`s made once: handed a string, jsonwebtoken tries to parse it as a PEM key
 * on every sign and verify, which cost more than the rest of a profile request (docs/benchmarks.md).
 */
@Injectable()
export class SigningKeys {
  readonly currentKid: string;
  readonly currentKey: KeyObject;
  private readonly byKid: Map<string, KeyObject>;

  constructor(@Inject(jwtConfig.KEY) config: ConfigType<typeof jwtConfig>) {
    this.currentKid = keyId(config.secret);
    this.currentKey = createSecretKey(Buffer.from(config.secret));
    this.byKid = new Map([[this.currentKid, this.currentKey]]);
    if (config.previousSecret) {
      this.byKid.set(keyId(config.previousSecret), createSecretKey(Buffer.from(config.previousSecret)));
    }
  }

  /**
   * The key for a token's `kid` (tokens without one predate it); undefined for an unknown `kid`,
   * an unreadable header, or a `crit` header: RFC 7515 §4.1.11 refuses tokens whose critical
   * extensions are not understood, and we understand none.
   */
  keyFor(token: string): KeyObject | undefined {
    const header = headerOf(token);
    if (!header || 'crit' in header) return undefined;
    return this.byKid.get(typeof header.kid === 'string' ? header.kid : this.currentKid);
  }
}

/** Signs nothing and so verifies nothing: an unknown `kid` fails like a bad signature. */
const NO_KEY = createSecretKey(randomBytes(32));

/** JwtModule's options: HS256 only, signed with JWT_SECRET, checked with the key the `kid` names. */
export function jwtModuleOptions(keys: SigningKeys, config: ConfigType<typeof jwtConfig>): JwtModuleOptions {
  return {
    secretOrKeyProvider: (requestType, tokenOrPayload) =>
      requestType === JwtSecretRequestType.SIGN
        ? keys.currentKey
        : (typeof tokenOrPayload === 'string' && keys.keyFor(tokenOrPayload)) || NO_KEY,
    signOptions: { algorithm: 'HS256', issuer: config.issuer, audience: config.audience, keyid: keys.currentKid },
    verifyOptions: { algorithms: ['HS256'], issuer: config.issuer, audience: config.audience },
  };
}

/** Makes the keys once for both JwtModule (signing) and the passport strategy (checking). */
@Module({ providers: [SigningKeys], exports: [SigningKeys] })
export class SigningKeysModule {}

function headerOf(token: string): Record<string, unknown> | undefined {
  try {
    const header: unknown = JSON.parse(Buffer.from(token.split('.')[0], 'base64url').toString());
    return header !== null && typeof header === 'object' ? (header as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
