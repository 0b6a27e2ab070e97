import { Inject, Injectable } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { AuditTrail, type AuditRecord } from '../audit/audit-trail.service';
import { ProblemException } from '../common/errors/problem.exception';
import { otpConfig } from '../config';
import { Sql } from '../database/sql';
import type { CodePurpose, OtpCode } from './otp-code.entity';
import { hashCode, hashesMatch } from './otp-code';
import { OtpCodesRepository, type CodeScope, type CountedAttempt } from './otp-codes.repository';
import { OtpDeliveryService } from './otp-delivery.service';
import { OtpLimitsService } from './otp-limits.service';
import { ProviderCodeCheck } from './provider-code-check.service';

/** A code that matched and has not been consumed yet, and what its events say about it. */
export interface MatchedCode {
  id: number;
  phoneNumber: string;
  purpose: CodePurpose;
  userId: number | null;
  createdAt: Date;
  /** The guessing client's address. */
  ip: string;
}

/**
 * Counts and compares guesses at a scope's newest code, and records the ones that fail; OtpService
 * spends the code a guess matched.
 */
@Injectable()
export class CodeGuesses {
  constructor(
    private readonly codes: OtpCodesRepository,
    @Inject(otpConfig.KEY) private readonly config: ConfigType<typeof otpConfig>,
    private readonly delivery: OtpDeliveryService,
    private readonly providerCheck: ProviderCodeCheck,
    private readonly limits: OtpLimitsService,
    private readonly audit: AuditTrail,
    private readonly sql: Sql,
  ) {}

  async match(scope: CodeScope, code: string, client: string): Promise<MatchedCode> {
    const { phoneNumber } = scope;
    if (code.length !== this.config.codeLength) {
      const message = `otp_code must be exactly ${this.config.codeLength} digits`;
      throw new ProblemException('validation_failed', { detail: message, errors: [{ field: 'otp_code', message }] });
    }
    await this.limits.admitGuess(phoneNumber, client);
    const now = new Date();
    const guess = { ...scope, ip: client };
    const { counted, failure } = this.providerChecks(phoneNumber)
      ? await this.providerGuess(guess, code, now)
      : await this.guess(guess, hashCode(this.config.secret, phoneNumber, code), now);
    if (!failure) return { ...guess, id: counted!.id, createdAt: counted!.createdAt };
    await this.limits.recordWrongGuess(phoneNumber, client, { liveCode: counted !== undefined });
    throw failure;
  }

  /**
   * Counts the guess, compares it and records a failure, in one transaction: on SQLite it is
   * synchronous, so the comparison costs no extra commit.
   */
  private guess(guess: Guess, guessHash: string, now: Date): Promise<GuessOutcome> {
    const { codes, audit, config } = this;
    const rejection = (row: OtpCode | undefined) => this.rejection(row, now.getTime());
    return this.sql.transaction(function* () {
      const counted = yield* codes.countAttempt(guess, now, config.maxAttempts);
      if (counted && hashesMatch(counted.codeHash, guessHash)) return { counted };
      const latest = counted ? undefined : yield* codes.latest(guess);
      const outcome = counted ? wrongGuess(counted, config.maxAttempts) : rejection(latest);
      if (counted || latest) yield* audit.record(failureEvent(guess, outcome), now);
      return { counted, failure: outcome.failure };
    });
  }

  /** For providers that made the code (Twilio Verify): their answer comes over the network, after the count. */
  private async providerGuess(guess: Guess, code: string, now: Date): Promise<GuessOutcome> {
    const counted = await this.sql.perform(this.codes.countAttempt(guess, now, this.config.maxAttempts));
    if (counted && (await this.providerCheck.check(guess.phoneNumber, code))) return { counted };
    const latest = counted ? undefined : await this.sql.perform(this.codes.latest(guess));
    const outcome = counted ? wrongGuess(counted, this.config.maxAttempts) : this.rejection(latest, now.getTime());
    if (counted || latest) await this.audit.write(failureEvent(guess, outcome), now);
    return { counted, failure: outcome.failure };
  }

  private providerChecks(phoneNumber: string): boolean {
    return this.delivery.providerChecksCodes && !this.config.testNumbers.has(phoneNumber);
  }

  /**
   * Used, replaced and never-requested codes answer alike, so a guesser learns nothing from which
   * one it was. None of them counts against the number (only against the guessing client): a
   * guess that met no live code could never succeed, and counting it would let anyone lock a
   * number they merely know.
   */
  private rejection(row: OtpCode | undefined, now: number): Failure {
    if (row && !row.consumedAt && !row.invalidatedAt) {
      if (row.attempts >= this.config.maxAttempts) {
        // The way forward is a new code, which the resend cooldown allows from this long on.
        const retryAfter = Math.max(
          1,
          Math.ceil((row.createdAt.getTime() + this.config.resendCooldownMs - now) / 1000),
        );
        return { failure: new ProblemException('otp_attempts_exceeded', { retryAfter }), burned: true };
      }
      if (row.expiresAt.getTime() <= now) return { failure: new ProblemException('otp_expired'), burned: false };
    }
    return { failure: new ProblemException('otp_invalid'), burned: false };
  }
}

type Guess = CodeScope & { ip: string };

interface GuessOutcome {
  counted?: CountedAttempt;
  failure?: ProblemException;
}

/** A refused guess; `burned` when it spent the code's last attempt or met a code already burned. */
interface Failure {
  failure: ProblemException;
  burned: boolean;
}

/** A wrong guess at a live code is otp_invalid, even the one that uses up its attempts. */
function wrongGuess(counted: CountedAttempt, maxAttempts: number): Failure {
  return { failure: new ProblemException('otp_invalid'), burned: counted.attempts >= maxAttempts };
}

function failureEvent({ phoneNumber, purpose, userId, ip }: Guess, { failure, burned }: Failure): AuditRecord {
  return burned
    ? { type: 'code_burned', reason: 'otp_attempts_exceeded', phoneNumber, purpose, userId, ip }
    : { type: 'code_failed', reason: failure.code, phoneNumber, purpose, userId, ip };
}
