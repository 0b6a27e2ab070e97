import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { OtpModule } from '../otp/otp.module';
import { PasskeysModule } from '../passkeys/passkeys.module';
import { SessionsModule } from '../sessions/sessions.module';
import { UsersModule } from '../users/users.module';
import { MfaChallenge } from './mfa-challenge.entity';
import { MfaChallenges } from './mfa-challenges.service';
import { MfaChallengesPurgeJob } from './mfa-challenges-purge.job';
import { MfaChallengesRepository } from './mfa-challenges.repository';
import { MfaController } from './mfa.controller';
import { MfaFactorsService } from './mfa-factors.service';
import { RecoveryCode } from './recovery-code.entity';
import { RecoveryCodesRepository } from './recovery-codes.repository';
import { SecondFactors } from './second-factors.service';
import { SecretBox } from './secret-box';
import { TotpFactor } from './totp-factor.entity';
import { TotpFactorsRepository } from './totp-factors.repository';
import { TotpKeyRotationJob } from './totp-key-rotation.job';

/** Second factors: authenticator apps (TOTP), recovery codes, and the challenge a sign-in meets. */
@Module({
  imports: [
    TypeOrmModule.forFeature([TotpFactor, RecoveryCode, MfaChallenge]),
    OtpModule,
    UsersModule,
    SessionsModule,
    PasskeysModule,
  ],
  controllers: [MfaController],
  providers: [
    TotpFactorsRepository,
    RecoveryCodesRepository,
    MfaChallengesRepository,
    SecretBox,
    SecondFactors,
    MfaFactorsService,
    MfaChallenges,
    MfaChallengesPurgeJob,
    TotpKeyRotationJob,
  ],
  exports: [SecondFactors, MfaChallenges],
})
export class MfaModule {}
