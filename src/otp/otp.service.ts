import { Injectable } from '@nestjs/common';
import { AuditTrail, type AuditRecord } from '../audit/audit-trail.service';
import { ProblemException } from '../common/errors/problem.exception';
import type { Step } from '../database/sql';
import { SendScreening } from '../fraud/send-screening.service';
import { MetricsService, type VerificationResult } from '../metrics/metrics.service';
import { CodeGuesses, type MatchedCode } from './code-guesses.service';
import { SCREENED_PURPOSES } from './otp-code.entity';
import { OtpCodesRepository, type CodeScope } from './otp-codes.repository';
import { OtpLimitsService } from './otp-limits.service';

export type { CodeScope } from './otp-codes.repository';
export type { CodePurpose } from './otp-code.entity';
export type { LanguageHints, SendRequest } from './otp-sender.service';
export type { MatchedCode } from './code-guesses.service';

/** The scope of a code that signs in: anyone who holds the number may redeem it. */
export function signInScope(phoneNumber: string): CodeScope {
  return { phoneNumber, purpose: 'sign_in', userId: null };
}

/** Checks and redeems codes; OtpSender issues and texts them. */
@Injectable()
export class OtpService {
  constructor(
    private readonly codes: OtpCodesRepository,
    private readonly guesses: CodeGuesses,
    private readonly limits: OtpLimitsService,
    private readonly metrics: MetricsService,
    private readonly screening: SendScreening,
    private readonly audit: AuditTrail,
  ) {}

  /**
   * Checks a code against the newest one of its scope without spending it: the caller spends it
   * with redeem() in the transaction that signs the user in, so a failure in that transaction (an
   * outage) leaves the code usable for the retry. The attempt is counted by one conditional UPDATE before the
   * comparison, so parallel guesses cannot exceed the attempt cap.
   */
  async check(scope: CodeScope, code: string, client: string): Promise<MatchedCode> {
    try {
      return await this.guesses.match(scope, code, client);
    } catch (error) {
      this.metrics.verification(
        error instanceof ProblemException && isVerificationResult(error.code) ? error.code : 'error',
      );
      throw error;
    }
  }

  /**
   * Spends a matched code and records it verified, as a step of the caller's transaction, with one
   * conditional UPDATE: of parallel requests that matched the same code exactly one spends it;
   * false for the others.
   */
  *redeem(matched: MatchedCode): Step<boolean> {
    if (!(yield* this.consume(matched))) return false;
    yield* this.verified(matched, matched.userId);
    return true;
  }

  /** {@link redeem} in two steps, for a sign-in code whose user is known only once it is spent. */
  *consume({ id }: MatchedCode): Step<boolean> {
    return yield* this.codes.consume(id, new Date());
  }

  *verified(matched: MatchedCode, userId: number | null): Step<void> {
    yield* this.audit.record(this.verification(matched, userId));
  }

  /** The code_verified event, for a caller that writes it with others (a sign-in's). */
  verification({ phoneNumber, purpose, ip, createdAt }: MatchedCode, userId: number | null): AuditRecord {
    const elapsedMs = Math.max(0, Date.now() - createdAt.getTime());
    return { type: 'code_verified', phoneNumber, purpose, userId, ip, elapsedMs };
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
}

const VERIFICATION_RESULTS: readonly string[] = ['otp_invalid', 'otp_expired', 'otp_attempts_exceeded', 'rate_limited'];

function isVerificationResult(code: string): code is VerificationResult {
  return VERIFICATION_RESULTS.includes(code);
}
