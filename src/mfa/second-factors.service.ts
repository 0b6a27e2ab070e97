import { Inject, Injectable } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { ProblemException } from '../common/errors/problem.exception';
import { otpConfig } from '../config';
import type { Step } from '../database/sql';
import { OtpLimitsService } from '../otp/otp-limits.service';
import { PasskeyAssertions, type CheckedPasskey } from '../passkeys/passkey-assertions.service';
import type { User } from '../users/user.entity';
import { hashRecoveryCode } from './recovery-code';
import { RecoveryCodesRepository } from './recovery-codes.repository';
import { SecretBox } from './secret-box';
import { totpStep } from './totp';
import { TotpFactorsRepository } from './totp-factors.repository';

/** What a user may answer a second-factor challenge with. */
export const FACTOR_TYPES = ['totp', 'recovery_code', 'passkey'] as const;
export type FactorType = (typeof FACTOR_TYPES)[number];

/** A code from the authenticator app, one of the recovery codes, or a passkey's answer; exactly one. */
export type Proof = { totpCode: string } | { recoveryCode: string } | { passkey: Record<string, unknown> };

/** A proof that matched and has not been spent yet. */
export type CheckedProof =
  | { userId: number; totpStep: number }
  | { userId: number; recoveryCodeHash: string; at: Date }
  | { userId: number; passkey: CheckedPasskey };

/** The sealed TOTP secret is bound to its user's row. */
export const secretContext = (userId: number) => `totp:${userId}`;

/**
 * Checks and spends second-factor proofs. A check counts a wrong proof like a wrong SMS code,
 * against the client and (when the caller has proven the number) the number's failure streak;
 * spending is one conditional statement, so a proof works once however many requests race.
 */
@Injectable()
export class SecondFactors {
  constructor(
    private readonly totp: TotpFactorsRepository,
    private readonly recoveryCodes: RecoveryCodesRepository,
    private readonly box: SecretBox,
    private readonly limits: OtpLimitsService,
    private readonly passkeys: PasskeyAssertions,
    @Inject(otpConfig.KEY) private readonly otp: ConfigType<typeof otpConfig>,
  ) {}

  /** The factors the user can answer a challenge with. */
  async available(userId: number): Promise<FactorType[]> {
    const [factor, unused, passkey] = await Promise.all([
      this.totp.find(userId),
      this.recoveryCodes.countUnused(userId),
      this.passkeys.hasUsable(userId),
    ]);
    const has: Record<FactorType, boolean> = { totp: Boolean(factor?.confirmedAt), recovery_code: unused > 0, passkey };
    return FACTOR_TYPES.filter((type) => has[type]);
  }

  /**
   * The proof, checked without spending it; `otp_invalid` (counted as a wrong guess) when it is
   * wrong, already used, or the user has no such factor. `provenNumber`: the caller has just
   * proven they hold the number (a sign-in code, a session), so a wrong proof also counts
   * towards the number's streak; a stranger's only towards themselves (DESIGN §7).
   */
  async check(
    user: Pick<User, 'id' | 'phoneNumber'>,
    proof: Proof,
    client: string,
    { provenNumber }: { provenNumber: boolean },
  ): Promise<CheckedProof> {
    await this.limits.admitGuess(user.phoneNumber, client);
    const checked = await this.match(user.id, proof, new Date()).catch((error: unknown) => {
      if (error instanceof ProblemException && error.code === 'passkey_rejected') return undefined;
      throw error;
    });
    if (checked) return checked;
    await this.limits.recordWrongGuess(user.phoneNumber, client, { liveCode: provenNumber });
    if ('passkey' in proof) throw new ProblemException('passkey_rejected');
    throw new ProblemException('otp_invalid', { detail: 'The code is wrong or has already been used.' });
  }

  /** Spends a checked proof as a step of the caller's transaction; `otp_invalid` (rolling it back) if another request spent it first. */
  *spend(proof: CheckedProof): Step<void> {
    if ('passkey' in proof) return yield* this.passkeys.spend(proof.passkey);
    const spent =
      'totpStep' in proof
        ? yield* this.totp.use(proof.userId, proof.totpStep)
        : yield* this.recoveryCodes.redeem(proof.userId, proof.recoveryCodeHash, proof.at);
    if (!spent) throw new ProblemException('otp_invalid');
  }

  /** Gives a spent recovery code back when what it was spent on failed (a TOTP step simply passes). */
  async giveBack(proof: CheckedProof): Promise<void> {
    if ('recoveryCodeHash' in proof) await this.recoveryCodes.restore(proof.userId, proof.recoveryCodeHash, proof.at);
  }

  recoveryCodeHash(userId: number, code: string): string {
    return hashRecoveryCode(this.otp.secret, userId, code);
  }

  /** Recovery codes stand in for the authenticator, so they count only while it is active. */
  private async match(userId: number, proof: Proof, at: Date): Promise<CheckedProof | undefined> {
    if ('passkey' in proof)
      return { userId, passkey: await this.passkeys.check(proof.passkey, 'second_factor', userId) };
    const factor = await this.totp.find(userId);
    if (!factor?.confirmedAt) return undefined;
    if ('totpCode' in proof) {
      const step = totpStep(this.box.open(factor.secret, secretContext(userId)), proof.totpCode, at);
      const fresh = step !== undefined && (factor.lastUsedStep === null || step > factor.lastUsedStep);
      return fresh ? { userId, totpStep: step } : undefined;
    }
    const recoveryCodeHash = this.recoveryCodeHash(userId, proof.recoveryCode);
    return (await this.recoveryCodes.isUnused(userId, recoveryCodeHash)) ? { userId, recoveryCodeHash, at } : undefined;
  }
}
