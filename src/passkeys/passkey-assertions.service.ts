import { Inject, Injectable, Logger } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import type { AuthenticationResponseJSON, PublicKeyCredentialRequestOptionsJSON } from '@simplewebauthn/server';
import { simpleWebAuthn } from './simplewebauthn';
import { ProblemException } from '../common/errors/problem.exception';
import { webauthnConfig } from '../config';
import type { Step } from '../database/sql';
import type { Ceremony } from './webauthn-challenge.entity';
import { PasskeysRepository } from './passkeys.repository';
import { clientDataOf, transportsOf } from './credential';
import { WebAuthnChallenges } from './webauthn-challenges.service';

const logger = new Logger('PasskeyAssertions');

/** A passkey assertion that verified, not yet recorded. */
export interface CheckedPasskey {
  passkeyId: string;
  userId: number;
  /** The number of the passkey's user, for the sign-in to check it still holds it. */
  phoneNumber: string;
  counterFrom: number;
  counterTo: number;
}

/** Sign-ins and second-factor answers with a passkey: the options, and the check of the answer. */
@Injectable()
export class PasskeyAssertions {
  constructor(
    private readonly passkeys: PasskeysRepository,
    private readonly challenges: WebAuthnChallenges,
    @Inject(webauthnConfig.KEY) private readonly config: ConfigType<typeof webauthnConfig>,
  ) {}

  /** Options for a sign-in: no credentials listed, the authenticator offers the discoverable ones. */
  async signInOptions(): Promise<PublicKeyCredentialRequestOptionsJSON> {
    return this.options('sign_in', null);
  }

  /** Options for answering a second-factor challenge with one of the user's passkeys. */
  async secondFactorOptions(userId: number): Promise<PublicKeyCredentialRequestOptionsJSON> {
    return this.options('second_factor', userId);
  }

  /** Whether the user has a passkey that can still answer. */
  async hasUsable(userId: number): Promise<boolean> {
    return (await this.passkeys.ofUser(userId)).some((passkey) => !passkey.clonedAt);
  }

  /**
   * Checks an assertion: a live challenge of this ceremony (and, for a second factor, of this
   * user), a known passkey of an active user, the origin, the RP ID, user verification and the
   * signature, then the counter. `passkey_rejected` otherwise, whatever the reason, so a prober
   * learns nothing; the reason is logged.
   */
  async check(response: Record<string, unknown>, ceremony: Ceremony, userId?: number): Promise<CheckedPasskey> {
    const taken = await this.challenges.take(clientDataOf(response), ceremony);
    if (!taken || (userId !== undefined && taken.userId !== userId))
      throw rejected('challenge unknown, expired or used');
    const found = isCredentialId(response.id) ? await this.passkeys.byCredentialId(response.id) : undefined;
    if (!found || (userId !== undefined && found.passkey.userId !== userId)) throw rejected('unknown credential');
    const { passkey } = found;
    if (passkey.clonedAt) throw rejected('credential marked as cloned');
    const verification = await simpleWebAuthn()
      .verifyAuthenticationResponse({
        response: response as unknown as AuthenticationResponseJSON,
        expectedChallenge: taken.challenge,
        expectedOrigin: this.config.origins,
        expectedRPID: this.config.rpId,
        // The counter is compared below, once the signature is known to be the authenticator's:
        // checked here, a forged answer with a low counter could get a genuine passkey disabled.
        credential: {
          id: passkey.credentialId,
          publicKey: Buffer.from(passkey.publicKey, 'base64url'),
          counter: 0,
          transports: transportsOf(passkey),
        },
        requireUserVerification: true,
      })
      .catch((error: unknown) => {
        throw rejected(error instanceof Error ? error.message : String(error));
      });
    if (!verification.verified) throw rejected('signature');
    const counterTo = verification.authenticationInfo.newCounter;
    if ((counterTo > 0 || passkey.counter > 0) && counterTo <= passkey.counter) {
      await this.passkeys.markCloned(passkey.id, new Date());
      logger.warn(`passkey ${passkey.id} of user ${passkey.userId}: counter went back; refused from now on`);
      throw rejected('signature counter went back');
    }
    return {
      passkeyId: passkey.id,
      userId: passkey.userId,
      phoneNumber: found.phoneNumber,
      counterFrom: passkey.counter,
      counterTo,
    };
  }

  /** Records the use, as a step of the sign-in's transaction; `passkey_rejected` if a parallel use of the same reading came first. */
  *spend(checked: CheckedPasskey): Step<void> {
    const recorded = yield* this.passkeys.recordUse(
      checked.passkeyId,
      checked.counterFrom,
      checked.counterTo,
      new Date(),
    );
    if (!recorded) throw new ProblemException('passkey_rejected');
  }

  private async options(ceremony: Ceremony, userId: number | null): Promise<PublicKeyCredentialRequestOptionsJSON> {
    const allowed = userId === null ? [] : (await this.passkeys.ofUser(userId)).filter((passkey) => !passkey.clonedAt);
    return simpleWebAuthn().generateAuthenticationOptions({
      rpID: this.config.rpId,
      challenge: await this.challenges.issue(ceremony, userId),
      timeout: this.config.challengeTtlMs,
      userVerification: 'required',
      allowCredentials: allowed.map((passkey) => ({ id: passkey.credentialId, transports: transportsOf(passkey) })),
    });
  }
}

/** base64url within the column's length, checked before it reaches the database. */
function isCredentialId(id: unknown): id is string {
  return typeof id === 'string' && /^[\w-]{1,1400}$/.test(id);
}

function rejected(reason: string): ProblemException {
  logger.debug(`passkey refused: ${reason}`);
  return new ProblemException('passkey_rejected');
}
