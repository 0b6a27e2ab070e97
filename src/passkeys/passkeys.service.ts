import { Inject, Injectable } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import type { PublicKeyCredentialCreationOptionsJSON, RegistrationResponseJSON } from '@simplewebauthn/server';
import { simpleWebAuthn } from './simplewebauthn';
import { createHmac, randomUUID } from 'node:crypto';
import { ProblemException } from '../common/errors/problem.exception';
import { otpConfig, webauthnConfig } from '../config';
import { UUID } from '../common/uuid';
import { isUniqueViolation } from '../database/database-errors';
import type { AuthenticatedUser } from '../users/authenticated-user';
import { toPasskeyDto, type PasskeyDto, type PasskeyListDto } from './dto/passkey.dto';
import { clientDataOf, knownTransports, transportsOf } from './credential';
import { PasskeysRepository } from './passkeys.repository';
import { WebAuthnChallenges } from './webauthn-challenges.service';

/** WebAuthn caps credential ids at 1023 bytes: 1364 base64url characters (the column holds 1400). */
const MAX_CREDENTIAL_ID = 1364;

/** ES256, EdDSA, RS256: what platform authenticators and security keys use. */
const ALGORITHMS = [-7, -8, -257];

/** A signed-in user's passkeys: register one, list, rename and remove them. */
@Injectable()
export class PasskeysService {
  constructor(
    private readonly passkeys: PasskeysRepository,
    private readonly challenges: WebAuthnChallenges,
    @Inject(webauthnConfig.KEY) private readonly config: ConfigType<typeof webauthnConfig>,
    @Inject(otpConfig.KEY) private readonly otp: ConfigType<typeof otpConfig>,
  ) {}

  /**
   * Options for `navigator.credentials.create()`: a discoverable credential (so it can sign in
   * without a phone number) with user verification, none of those the user already has.
   */
  async registrationOptions({ user }: AuthenticatedUser): Promise<PublicKeyCredentialCreationOptionsJSON> {
    const existing = await this.passkeys.ofUser(user.id);
    return simpleWebAuthn().generateRegistrationOptions({
      rpName: this.config.rpName,
      rpID: this.config.rpId,
      userName: user.phoneNumber,
      userDisplayName: user.phoneNumber,
      userID: this.userHandle(user.id),
      challenge: await this.challenges.issue('registration', user.id),
      timeout: this.config.challengeTtlMs,
      attestationType: 'none',
      excludeCredentials: existing.map((passkey) => ({ id: passkey.credentialId, transports: transportsOf(passkey) })),
      authenticatorSelection: { residentKey: 'required', requireResidentKey: true, userVerification: 'required' },
      supportedAlgorithmIDs: ALGORITHMS,
    });
  }

  /** Verifies the new credential against the caller's challenge and stores its public key. */
  async register({ user }: AuthenticatedUser, name: string, response: Record<string, unknown>): Promise<PasskeyDto> {
    const taken = await this.challenges.take(clientDataOf(response), 'registration');
    if (!taken || taken.userId !== user.id) throw invalid('The registration ceremony is unknown, expired or used.');
    const verification = await simpleWebAuthn()
      .verifyRegistrationResponse({
        response: response as unknown as RegistrationResponseJSON,
        expectedChallenge: taken.challenge,
        expectedOrigin: this.config.origins,
        expectedRPID: this.config.rpId,
        requireUserVerification: true,
        supportedAlgorithmIDs: ALGORITHMS,
      })
      .catch((error: unknown) => {
        throw invalid(error instanceof Error ? error.message : undefined);
      });
    if (!verification.verified) throw invalid();
    const { credential, credentialDeviceType, credentialBackedUp } = verification.registrationInfo;
    if (credential.id.length > MAX_CREDENTIAL_ID) throw invalid('the credential id is longer than 1023 bytes');
    const passkey = await this.passkeys
      .insert(
        {
          id: randomUUID(),
          userId: user.id,
          credentialId: credential.id,
          publicKey: Buffer.from(credential.publicKey).toString('base64url'),
          counter: credential.counter,
          transports: knownTransports(credential.transports),
          deviceType: credentialDeviceType,
          backedUp: credentialBackedUp,
          name: name.trim(),
        },
        new Date(),
      )
      .catch((error: unknown) => {
        throw isUniqueViolation(error) ? new ProblemException('passkey_already_registered') : error;
      });
    return toPasskeyDto(passkey);
  }

  async list({ user }: AuthenticatedUser): Promise<PasskeyListDto> {
    return { passkeys: (await this.passkeys.ofUser(user.id)).map(toPasskeyDto) };
  }

  /** Only the caller's own passkeys; anything else is indistinguishable from absent. */
  async rename({ user }: AuthenticatedUser, id: string, name: string): Promise<PasskeyDto> {
    const passkey = UUID.test(id) ? await this.passkeys.rename(id, user.id, name.trim()) : undefined;
    if (!passkey) throw notFound();
    return toPasskeyDto(passkey);
  }

  async remove({ user }: AuthenticatedUser, id: string): Promise<void> {
    if (!(UUID.test(id) && (await this.passkeys.delete(id, user.id)))) throw notFound();
  }

  /** The WebAuthn user handle: stable per user, and no internal id or phone number in it. */
  private userHandle(userId: number): Uint8Array<ArrayBuffer> {
    return new Uint8Array(
      createHmac('sha256', this.otp.secret).update(`webauthn-user:${userId}`).digest().subarray(0, 16),
    );
  }
}

function invalid(detail?: string): ProblemException {
  return new ProblemException('passkey_invalid', detail ? { detail: `The passkey was not accepted: ${detail}` } : {});
}

function notFound(): ProblemException {
  return new ProblemException('not_found', { detail: 'No such passkey.' });
}
