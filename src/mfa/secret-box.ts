import { Inject, Injectable } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { createCipheriv, createDecipheriv, createHash, hkdfSync, randomBytes } from 'node:crypto';
import { mfaConfig } from '../config';

interface Key {
  id: string;
  bytes: Buffer;
}

const VERSION = 'v1';
const IV_BYTES = 12;
const TAG_BYTES = 16;

/**
 * Seals TOTP secrets for storage with AES-256-GCM under MFA_ENCRYPTION_KEY: a copy of the
 * database alone mints no codes. Each sealed value names its key, so values sealed under
 * MFA_PREVIOUS_ENCRYPTION_KEY still open during a rotation, and is bound to its row (`context`),
 * so a sealed secret copied onto another user's row does not open.
 */
@Injectable()
export class SecretBox {
  private readonly current: Key;
  private readonly keys: Map<string, Key>;

  constructor(@Inject(mfaConfig.KEY) config: ConfigType<typeof mfaConfig>) {
    this.current = deriveKey(config.encryptionKey);
    const previous = config.previousEncryptionKey === undefined ? [] : [deriveKey(config.previousEncryptionKey)];
    this.keys = new Map([this.current, ...previous].map((key) => [key.id, key]));
  }

  seal(plaintext: string, context: string): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.current.bytes, iv).setAAD(Buffer.from(context));
    const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final(), cipher.getAuthTag()]);
    return [VERSION, this.current.id, iv.toString('base64url'), body.toString('base64url')].join('.');
  }

  /** The plaintext; throws when the value is malformed, sealed under an unknown key, tampered with or moved. */
  open(sealed: string, context: string): string {
    const [version, keyId, iv, body] = sealed.split('.');
    const key = this.keys.get(keyId);
    if (version !== VERSION || !key || !iv || !body) throw new Error('sealed with an unknown key or format');
    const bytes = Buffer.from(body, 'base64url');
    const decipher = createDecipheriv('aes-256-gcm', key.bytes, Buffer.from(iv, 'base64url'))
      .setAAD(Buffer.from(context))
      .setAuthTag(bytes.subarray(bytes.length - TAG_BYTES));
    return Buffer.concat([decipher.update(bytes.subarray(0, bytes.length - TAG_BYTES)), decipher.final()]).toString();
  }

  /** Whether MFA_PREVIOUS_ENCRYPTION_KEY is set: values sealed under it should be re-sealed. */
  get rotating(): boolean {
    return this.keys.size > 1;
  }

  /** How every value sealed under the current key begins. */
  get currentPrefix(): string {
    return `${VERSION}.${this.current.id}.`;
  }
}

/** The configured value may be any string; HKDF turns it into an AES key, and a hash of that names it. */
function deriveKey(secret: string): Key {
  const bytes = Buffer.from(hkdfSync('sha256', secret, '', 'otp-auth totp secrets', 32));
  return { id: createHash('sha256').update(bytes).digest('hex').slice(0, 8), bytes };
}
