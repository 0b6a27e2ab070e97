import { Inject, Injectable } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { createHash } from 'node:crypto';
import { jwtConfig } from '../config';

/** A short, non-secret name for a key, carried as the token header's `kid`. */
export function keyId(secret: string): string {
  return createHash('sha256').update(secret).digest('base64url').slice(0, 12);
}

/**
 * The HS256 keys tokens are checked with: JWT_SECRET, which also signs, and during a rotation
 * JWT_PREVIOUS_SECRET, so tokens issued before the switch keep working until they expire
 * instead of signing every user out at once. The `kid` header says which key signed a token.
 */
@Injectable()
export class SigningKeys {
  readonly currentKid: string;
  private readonly byKid: Map<string, string>;

  constructor(@Inject(jwtConfig.KEY) config: ConfigType<typeof jwtConfig>) {
    this.currentKid = keyId(config.secret);
    this.byKid = new Map([[this.currentKid, config.secret]]);
    if (config.previousSecret) this.byKid.set(keyId(config.previousSecret), config.previousSecret);
  }

  /** The key for a token's `kid`; undefined for an unknown one. Tokens without a `kid` predate it. */
  secretFor(token: string): string | undefined {
    return this.byKid.get(headerKid(token) ?? this.currentKid);
  }
}

function headerKid(token: string): string | undefined {
  try {
    const header = JSON.parse(Buffer.from(token.split('.')[0], 'base64url').toString()) as { kid?: unknown };
    return typeof header.kid === 'string' ? header.kid : undefined;
  } catch {
    return undefined;
  }
}
