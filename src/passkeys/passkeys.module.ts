import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { Passkey } from './passkey.entity';
import { PasskeyAssertions } from './passkey-assertions.service';
import { PasskeysController } from './passkeys.controller';
import { PasskeysRepository } from './passkeys.repository';
import { PasskeysService } from './passkeys.service';
import { WebAuthnChallenge } from './webauthn-challenge.entity';
import { WebAuthnChallengesPurgeJob } from './webauthn-challenges-purge.job';
import { WebAuthnChallengesRepository } from './webauthn-challenges.repository';
import { WebAuthnChallenges } from './webauthn-challenges.service';

/** Passkeys (WebAuthn): register and manage them; sign in or answer a second-factor challenge with one. */
@Module({
  imports: [TypeOrmModule.forFeature([Passkey, WebAuthnChallenge])],
  controllers: [PasskeysController],
  providers: [
    PasskeysRepository,
    WebAuthnChallengesRepository,
    WebAuthnChallenges,
    PasskeysService,
    PasskeyAssertions,
    WebAuthnChallengesPurgeJob,
  ],
  exports: [PasskeyAssertions],
})
export class PasskeysModule {}
