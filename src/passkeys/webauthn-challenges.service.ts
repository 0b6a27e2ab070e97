import { Inject, Injectable } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { randomBytes } from 'node:crypto';
import { webauthnConfig } from '../config';
import type { Ceremony } from './webauthn-challenge.entity';
import { WebAuthnChallengesRepository } from './webauthn-challenges.repository';

/** Challenges of WebAuthn ceremonies: issued with the options, spent by the answer, once. */
@Injectable()
export class WebAuthnChallenges {
  constructor(
    private readonly challenges: WebAuthnChallengesRepository,
    @Inject(webauthnConfig.KEY) private readonly config: ConfigType<typeof webauthnConfig>,
  ) {}

  /**
   * A new random challenge (256 bits) for the ceremony, stored (base64url, as it comes back in
   * clientDataJSON) for WEBAUTHN_CHALLENGE_TTL; the bytes are for the options.
   */
  async issue(ceremony: Ceremony, userId: number | null): Promise<Uint8Array<ArrayBuffer>> {
    const bytes = new Uint8Array(randomBytes(32));
    const now = new Date();
    const expiresAt = new Date(now.getTime() + this.config.challengeTtlMs);
    await this.challenges.insert(Buffer.from(bytes).toString('base64url'), ceremony, userId, now, expiresAt);
    return bytes;
  }

  /**
   * Spends the challenge the response answers (read from its clientDataJSON, which the
   * authenticator signed over) if it is a live one of this ceremony: the challenge and its user,
   * or undefined. The library then checks that the response really answers it.
   */
  async take(
    clientDataJSON: unknown,
    ceremony: Ceremony,
  ): Promise<{ challenge: string; userId: number | null } | undefined> {
    const challenge = challengeOf(clientDataJSON);
    if (!challenge) return undefined;
    const taken = await this.challenges.take(challenge, ceremony, new Date());
    return taken && { challenge, ...taken };
  }
}

function challengeOf(clientDataJSON: unknown): string | undefined {
  if (typeof clientDataJSON !== 'string' || clientDataJSON.length > 4096) return undefined;
  try {
    const { challenge } = JSON.parse(Buffer.from(clientDataJSON, 'base64url').toString()) as { challenge?: unknown };
    return typeof challenge === 'string' && /^[\w-]{1,64}$/.test(challenge) ? challenge : undefined;
  } catch {
    return undefined;
  }
}
