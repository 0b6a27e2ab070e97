import { Inject, Injectable } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import type { PublicKeyCredentialRequestOptionsJSON } from '@simplewebauthn/server';
import { createHash, randomBytes } from 'node:crypto';
import { ProblemException } from '../common/errors/problem.exception';
import { mfaConfig, otpConfig } from '../config';
import type { Step } from '../database/sql';
import type { User } from '../users/user.entity';
import type { MfaRequiredDto } from './dto/mfa.dto';
import type { MfaChallenge } from './mfa-challenge.entity';
import { MfaChallengesRepository } from './mfa-challenges.repository';
import { PasskeyAssertions } from '../passkeys/passkey-assertions.service';
import { SecondFactors } from './second-factors.service';
import { TotpFactorsRepository } from './totp-factors.repository';

/**
 * A phone sign-in of a user with a second factor ends in a challenge instead of a session: the
 * `mfa_token` stands for that sign-in, works once, for MFA_CHALLENGE_TTL, and takes at most
 * OTP_MAX_ATTEMPTS wrong proofs, like an SMS code.
 */
@Injectable()
export class MfaChallenges {
  constructor(
    private readonly challenges: MfaChallengesRepository,
    private readonly totp: TotpFactorsRepository,
    private readonly factors: SecondFactors,
    private readonly passkeys: PasskeyAssertions,
    @Inject(mfaConfig.KEY) private readonly config: ConfigType<typeof mfaConfig>,
    @Inject(otpConfig.KEY) private readonly otp: ConfigType<typeof otpConfig>,
  ) {}

  /**
   * Opens a challenge for the sign-in if the user has a second factor, as a step of its
   * transaction; returns its `mfa_token`, or undefined when the SMS code is enough.
   */
  *open(user: Pick<User, 'id' | 'phoneNumber'>): Step<string | undefined> {
    if (!(yield* this.totp.isActive(user.id))) return undefined;
    const token = randomBytes(32).toString('base64url');
    const now = new Date();
    yield* this.challenges.insert({
      tokenHash: tokenHash(token),
      userId: user.id,
      phoneNumber: user.phoneNumber,
      createdAt: now,
      expiresAt: new Date(now.getTime() + this.config.challengeTtlMs),
    });
    return token;
  }

  /** The answer telling the client which second factors it may send with the token. */
  async required(token: string, userId: number): Promise<MfaRequiredDto> {
    return {
      message: 'Second factor required',
      mfa_required: true,
      mfa_token: token,
      factors: await this.factors.available(userId),
      expires_in_seconds: Math.ceil(this.config.challengeTtlMs / 1000),
    };
  }

  /** Options for answering the token's challenge with one of the user's passkeys. */
  async passkeyOptions(token: string): Promise<PublicKeyCredentialRequestOptionsJSON> {
    const challenge = await this.challenges.find(tokenHash(token));
    const live =
      challenge &&
      !challenge.consumedAt &&
      challenge.expiresAt.getTime() > Date.now() &&
      challenge.attempts < this.otp.maxAttempts;
    if (!live) throw new ProblemException('mfa_token_invalid');
    return this.passkeys.secondFactorOptions(challenge.userId);
  }

  /** Counts one attempt against the token's challenge; `mfa_token_invalid` unless it is live and under the cap. */
  async admit(token: string): Promise<MfaChallenge> {
    const challenge = await this.challenges.countAttempt(tokenHash(token), new Date(), this.otp.maxAttempts);
    if (!challenge) throw new ProblemException('mfa_token_invalid');
    return challenge;
  }

  /** Spends the challenge as a step of the sign-in's transaction; false if another request spent it first. */
  *consume(challenge: MfaChallenge): Step<boolean> {
    return yield* this.challenges.consume(challenge.tokenHash, new Date());
  }
}

/** Only the hash is stored: the token is 256 random bits, so a plain SHA-256 cannot be searched. */
function tokenHash(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}
