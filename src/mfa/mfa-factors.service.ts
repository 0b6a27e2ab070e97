import { Inject, Injectable } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { ProblemException } from '../common/errors/problem.exception';
import { mfaConfig } from '../config';
import { Sql } from '../database/sql';
import { OtpLimitsService } from '../otp/otp-limits.service';
import { SessionChanges } from '../sessions/session-changes.service';
import type { AuthenticatedUser } from '../users/authenticated-user';
import type { MfaStatusDto, RecoveryCodesDto, TotpEnrolmentDto } from './dto/mfa.dto';
import { generateRecoveryCodes } from './recovery-code';
import { RecoveryCodesRepository } from './recovery-codes.repository';
import { SecondFactors, secretContext, type Proof } from './second-factors.service';
import { SecretBox } from './secret-box';
import { newTotpSecret, totpStep, totpUri } from './totp';
import { TotpFactorsRepository } from './totp-factors.repository';

/** A signed-in user's own factors: enrol and confirm an authenticator app, remove it, renew recovery codes. */
@Injectable()
export class MfaFactorsService {
  constructor(
    private readonly totp: TotpFactorsRepository,
    private readonly recoveryCodes: RecoveryCodesRepository,
    private readonly factors: SecondFactors,
    private readonly box: SecretBox,
    private readonly limits: OtpLimitsService,
    private readonly sessions: SessionChanges,
    private readonly sql: Sql,
    @Inject(mfaConfig.KEY) private readonly config: ConfigType<typeof mfaConfig>,
  ) {}

  async status({ user }: AuthenticatedUser): Promise<MfaStatusDto> {
    const [factor, left] = await Promise.all([this.totp.find(user.id), this.recoveryCodes.countUnused(user.id)]);
    return {
      policy: this.config.policy,
      totp: {
        status: factor ? (factor.confirmedAt ? 'active' : 'pending') : 'none',
        created_at: factor?.createdAt.toISOString() ?? null,
        confirmed_at: factor?.confirmedAt?.toISOString() ?? null,
      },
      recovery_codes_left: left,
    };
  }

  /** A new pending authenticator (replacing a pending one); it counts once a code from it confirms it. */
  async enrol({ user }: AuthenticatedUser): Promise<TotpEnrolmentDto> {
    const secret = newTotpSecret();
    const saved = await this.totp.savePending(user.id, this.box.seal(secret, secretContext(user.id)), new Date());
    if (!saved) throw new ProblemException('mfa_already_enrolled');
    return {
      message: 'Scan the URI, then confirm with a code from the app',
      otpauth_uri: totpUri(secret, this.config.totpIssuer, user.phoneNumber),
      secret,
    };
  }

  /**
   * A code from the pending authenticator activates it, issues the first recovery codes and, on
   * a session limited to enrolment, lifts the limit: together, in one transaction.
   */
  async activate(caller: AuthenticatedUser, code: string, client: string): Promise<RecoveryCodesDto> {
    const { user } = caller;
    const factor = await this.totp.find(user.id);
    if (!factor || factor.confirmedAt)
      throw new ProblemException('mfa_not_enrolled', { detail: 'No enrolment is pending.' });
    await this.limits.admitGuess(user.phoneNumber, client);
    const now = new Date();
    const step = totpStep(this.box.open(factor.secret, secretContext(user.id)), code, now);
    if (step === undefined) {
      await this.limits.recordWrongGuess(user.phoneNumber, client, { liveCode: true });
      throw new ProblemException('otp_invalid', { detail: 'The code is not the one the authenticator app shows now.' });
    }
    const codes = generateRecoveryCodes();
    const hashes = codes.map((recoveryCode) => this.factors.recoveryCodeHash(user.id, recoveryCode));
    const { totp, recoveryCodes, sessions } = this;
    await this.sql.transaction(function* () {
      // Another enrolment replaced the secret meanwhile: this code belongs to no pending factor.
      if (!(yield* totp.confirm(user.id, factor.secret, step, now))) throw new ProblemException('otp_invalid');
      yield* recoveryCodes.replace(user.id, hashes, now);
      yield* sessions.widen(caller);
    });
    return recoveryCodesIssued(codes);
  }

  /** Removes the authenticator and the recovery codes, with a proof from one of them. */
  async remove(caller: AuthenticatedUser, proof: Proof, client: string): Promise<void> {
    const { user } = caller;
    await this.refuseWithoutFactor(user.id);
    const checked = await this.factors.check(user, proof, client, { provenNumber: true });
    const { factors, totp, recoveryCodes } = this;
    await this.sql.transaction(function* () {
      yield* factors.spend(checked);
      yield* totp.delete(user.id);
      yield* recoveryCodes.deleteOfUser(user.id);
    });
  }

  /** A new set of recovery codes; the old set stops working. */
  async regenerateRecoveryCodes({ user }: AuthenticatedUser): Promise<RecoveryCodesDto> {
    await this.refuseWithoutFactor(user.id);
    const codes = generateRecoveryCodes();
    const hashes = codes.map((recoveryCode) => this.factors.recoveryCodeHash(user.id, recoveryCode));
    const { recoveryCodes } = this;
    await this.sql.transaction(function* () {
      yield* recoveryCodes.replace(user.id, hashes, new Date());
    });
    return recoveryCodesIssued(codes);
  }

  private async refuseWithoutFactor(userId: number): Promise<void> {
    if (!(await this.totp.find(userId))?.confirmedAt) throw new ProblemException('mfa_not_enrolled');
  }
}

function recoveryCodesIssued(codes: string[]): RecoveryCodesDto {
  return { message: 'Keep these recovery codes somewhere safe; they are shown only once', recovery_codes: codes };
}
