import { Inject, Injectable } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { ProblemException } from '../common/errors/problem.exception';
import { otpConfig } from '../config';
import type { Step } from '../database/sql';
import { MetricsService, type VerificationResult } from '../metrics/metrics.service';
import { SendScreening } from '../fraud/send-screening.service';
import { SCREENED_PURPOSES, type CodePurpose, type OtpCode } from './otp-code.entity';
import { hashCode, hashesMatch } from './otp-code';
import { OtpCodesRepository, type CodeScope } from './otp-codes.repository';
import { OtpDeliveryService } from './otp-delivery.service';
import { OtpLimitsService } from './otp-limits.service';

export type { CodeScope } from './otp-codes.repository';
export type { CodePurpose } from './otp-code.entity';
export type { LanguageHints, SendRequest } from './otp-sender.service';

/** The scope of a code that signs in: anyone who holds the number may redeem it. */
export function signInScope(phoneNumber: string): CodeScope {
  return { phoneNumber, purpose: 'sign_in', userId: null };
}

/** A code that matched and has not been consumed yet. */
export interface MatchedCode {
  id: number;
  phoneNumber: string;
  purpose: CodePurpose;
}

/** Checks and redeems codes; OtpSender issues and texts them. */
@Injectable()
export class OtpService {
  constructor(
    private readonly codes: OtpCodesRepository,
    @Inject(otpConfig.KEY) private readonly config: ConfigType<typeof otpConfig>,
    private readonly delivery: OtpDeliveryService,
    private readonly limits: OtpLimitsService,
    private readonly metrics: MetricsService,
    private readonly screening: SendScreening,
  ) {}

  /**
   * Checks a code against the newest one of its scope without spending it: the caller spends it
   * with redeem() in the transaction that signs the user in, so a failure in that transaction (an
   * outage) leaves the code usable for the retry. The attempt is counted by one conditional UPDATE before the
   * comparison, so parallel guesses cannot exceed the attempt cap.
   */
  async check(scope: CodeScope, code: string, client: string): Promise<MatchedCode> {
    try {
      return await this.match(scope, code, client);
    } catch (error) {
      this.metrics.verification(
        error instanceof ProblemException && isVerificationResult(error.code) ? error.code : 'error',
      );
      throw error;
    }
  }

  /**
   * Spends a matched code, as a step of the caller's transaction, with one conditional UPDATE: of
   * parallel requests that matched the same code exactly one spends it; false for the others.
   */
  *redeem({ id }: MatchedCode): Step<boolean> {
    return yield* this.codes.consume(id, new Date());
  }

  /** Every code of the account: those its user asked for and those texted to its number (a step of its deletion). */
  *deleteOfAccount(userId: number, phoneNumber: string): Step<void> {
    yield* this.codes.deleteOfAccount(userId, phoneNumber);
  }

  /**
   * After the transaction that redeemed the code: `outcome` is what it returned, undefined when
   * another request spent the code first, which is answered otp_invalid. Counts either in the
   * metrics and the limits.
   */
  async redeemed<T>({ phoneNumber, purpose }: MatchedCode, outcome: T | undefined): Promise<T> {
    if (outcome === undefined) {
      this.metrics.verification('otp_invalid');
      throw new ProblemException('otp_invalid');
    }
    this.metrics.verification('success');
    await Promise.all([
      this.limits.recordSuccess(phoneNumber),
      SCREENED_PURPOSES.has(purpose) && this.screening.verified(phoneNumber),
    ]);
    return outcome;
  }

  private async match(scope: CodeScope, code: string, client: string): Promise<MatchedCode> {
    const { phoneNumber } = scope;
    if (code.length !== this.config.codeLength) {
      const message = `otp_code must be exactly ${this.config.codeLength} digits`;
      throw new ProblemException('validation_failed', { detail: message, errors: [{ field: 'otp_code', message }] });
    }
    await this.limits.admitGuess(phoneNumber, client);
    const now = new Date();
    const counted = await this.codes.countAttempt(scope, now, this.config.maxAttempts);
    if (!counted) {
      await this.limits.recordWrongGuess(phoneNumber, client, { liveCode: false });
      throw this.rejection(await this.codes.latest(scope), now.getTime());
    }
    if (!(await this.matches(phoneNumber, counted.codeHash, code))) {
      await this.limits.recordWrongGuess(phoneNumber, client, { liveCode: true });
      throw new ProblemException('otp_invalid');
    }
    return { id: counted.id, phoneNumber, purpose: scope.purpose };
  }

  /** Our own HMAC comparison, or, for providers that made the code (Twilio Verify), theirs. */
  private async matches(phoneNumber: string, codeHash: string, code: string): Promise<boolean> {
    if (this.delivery.providerChecksCodes && !this.config.testNumbers.has(phoneNumber)) {
      return this.delivery.check(phoneNumber, code);
    }
    return hashesMatch(codeHash, hashCode(this.config.secret, phoneNumber, code));
  }

  /**
   * Used, replaced and never-requested codes answer alike, so a guesser learns nothing from which
   * one it was. None of them counts against the number (only against the guessing client): a
   * guess that met no live code could never succeed, and counting it would let anyone lock a
   * number they merely know.
   */
  private rejection(row: OtpCode | undefined, now: number): ProblemException {
    if (row && !row.consumedAt && !row.invalidatedAt) {
      if (row.attempts >= this.config.maxAttempts) {
        // The way forward is a new code, which the resend cooldown allows from this long on.
        const retryAfter = Math.max(
          1,
          Math.ceil((row.createdAt.getTime() + this.config.resendCooldownMs - now) / 1000),
        );
        return new ProblemException('otp_attempts_exceeded', { retryAfter });
      }
      if (row.expiresAt.getTime() <= now) return new ProblemException('otp_expired');
    }
    return new ProblemException('otp_invalid');
  }
}

const VERIFICATION_RESULTS: readonly string[] = ['otp_invalid', 'otp_expired', 'otp_attempts_exceeded', 'rate_limited'];

function isVerificationResult(code: string): code is VerificationResult {
  return VERIFICATION_RESULTS.includes(code);
}
