import { Inject, Injectable } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { ProblemException } from '../common/errors/problem.exception';
import { sql, Sql, toDate, toDateOrNull } from '../common/sql';
import { otpConfig } from '../config';
import type { SmsLocale } from '../sms/code-message';
import { MetricsService, type VerificationResult } from '../metrics/metrics.service';
import type { OtpCode } from './otp-code.entity';
import { generateCode, hashCode, hashesMatch } from './otp-code';
import { OtpDeliveryService } from './otp-delivery.service';
import { OtpLimitsService } from './otp-limits.service';

interface OtpCodeRow {
  id: number;
  phone_number: string;
  code_hash: string;
  attempts: number;
  created_at: string | number;
  expires_at: string | number;
  consumed_at: string | number | null;
  invalidated_at: string | number | null;
}

const INSERT = sql(`
  INSERT INTO otp_codes (phone_number, code_hash, attempts, created_at, expires_at) VALUES ($1, $2, 0, $3, $4)
  RETURNING id`);

/** Only older codes: of parallel sends, the newest stays live. */
const RETIRE_OLDER = sql(`
  UPDATE otp_codes SET invalidated_at = $3
  WHERE phone_number = $1 AND id < $2 AND consumed_at IS NULL AND invalidated_at IS NULL`);

const INVALIDATE = sql(`UPDATE otp_codes SET invalidated_at = $2 WHERE id = $1`);

/** Counts a guess against the phone's newest code if that code can still be redeemed. */
const COUNT_ATTEMPT = sql(`
  UPDATE otp_codes SET attempts = attempts + 1
  WHERE id = (SELECT MAX(id) FROM otp_codes WHERE phone_number = $1)
    AND consumed_at IS NULL AND invalidated_at IS NULL AND expires_at > $2 AND attempts < $3
  RETURNING id, code_hash`);

const LATEST = sql(`
  SELECT id, phone_number, code_hash, attempts, created_at, expires_at, consumed_at, invalidated_at
  FROM otp_codes WHERE phone_number = $1 ORDER BY id DESC LIMIT 1`);

const CONSUME = sql(`
  UPDATE otp_codes SET consumed_at = $2 WHERE id = $1 AND consumed_at IS NULL AND invalidated_at IS NULL`);

const PURGE = sql(`DELETE FROM otp_codes WHERE expires_at < $1`);

export interface IssuedOtp {
  ttlSeconds: number;
}

/** A code that matched and has not been consumed yet. */
export interface MatchedCode {
  id: number;
  phoneNumber: string;
}

@Injectable()
export class OtpService {
  constructor(
    private readonly sql: Sql,
    @Inject(otpConfig.KEY) private readonly config: ConfigType<typeof otpConfig>,
    private readonly delivery: OtpDeliveryService,
    private readonly limits: OtpLimitsService,
    private readonly metrics: MetricsService,
  ) {}

  /**
   * Replaces any live code for the phone with a new one and texts it. A configured test number
   * gets its fixed code and no SMS, under the same limits as everyone else.
   */
  async issue(phoneNumber: string, locale: SmsLocale): Promise<IssuedOtp> {
    const testCode = this.config.testNumbers.get(phoneNumber);
    await this.limits.admitSend(phoneNumber, { sendsSms: testCode === undefined });
    // With a provider that makes its own codes (Twilio Verify) this one is never sent, and its
    // hash is a placeholder nobody can match: matches() asks the provider instead.
    const code = testCode ?? generateCode(this.config.codeLength);
    try {
      const id = await this.store(phoneNumber, code);
      if (testCode === undefined) await this.text(id, phoneNumber, code, locale);
    } catch (error) {
      // Nothing reached the phone, so the next try must not wait out the resend cooldown.
      await this.limits.releaseCooldown(phoneNumber).catch(() => undefined);
      throw error;
    }
    this.metrics.codeSent();
    return { ttlSeconds: Math.ceil(this.config.ttlMs / 1000) };
  }

  /** Inserts the new code, then retires older ones (only older: parallel sends leave the newest live). */
  private async store(phoneNumber: string, code: string): Promise<number> {
    const now = Date.now();
    const codeHash = hashCode(this.config.secret, phoneNumber, code);
    const { rows } = await this.sql.run<{ id: number }>(INSERT, [phoneNumber, codeHash, now, now + this.config.ttlMs]);
    const id = Number(rows[0].id);
    await this.sql.run(RETIRE_OLDER, [phoneNumber, id, now]);
    return id;
  }

  private async text(id: number, phoneNumber: string, code: string, locale: SmsLocale): Promise<void> {
    try {
      await this.delivery.text(phoneNumber, code, locale);
    } catch (error) {
      // The code may never have reached the phone, so it must never be redeemable.
      await this.sql.run(INVALIDATE, [id, Date.now()]);
      throw error;
    }
  }

  /**
   * Checks a code against the newest one for the phone without consuming it: the caller signs
   * the user in and then calls consume(), so a failure in between (an outage) leaves the code
   * usable for the retry. The attempt is counted by one conditional UPDATE before the
   * comparison, so parallel guesses cannot exceed the attempt cap.
   */
  async check(phoneNumber: string, code: string): Promise<MatchedCode> {
    try {
      return await this.match(phoneNumber, code);
    } catch (error) {
      this.metrics.verification(
        error instanceof ProblemException && isVerificationResult(error.code) ? error.code : 'error',
      );
      throw error;
    }
  }

  /**
   * Spends a matched code with one conditional UPDATE: of parallel requests that matched the
   * same code, exactly one gets here first; the others get otp_invalid.
   */
  async consume({ id, phoneNumber }: MatchedCode): Promise<void> {
    const consumed = await this.sql.run(CONSUME, [id, Date.now()]);
    if (!consumed.affected) {
      this.metrics.verification('otp_invalid');
      throw new ProblemException('otp_invalid');
    }
    this.metrics.verification('success');
    await this.limits.recordSuccess(phoneNumber);
  }

  private async match(phoneNumber: string, code: string): Promise<MatchedCode> {
    if (code.length !== this.config.codeLength) {
      const message = `otp_code must be exactly ${this.config.codeLength} digits`;
      throw new ProblemException('validation_failed', { detail: message, errors: [{ field: 'otp_code', message }] });
    }
    await this.limits.admitGuess(phoneNumber);
    const now = Date.now();
    const counted = await this.sql.first<Pick<OtpCodeRow, 'id' | 'code_hash'>>(COUNT_ATTEMPT, [
      phoneNumber,
      now,
      this.config.maxAttempts,
    ]);
    if (!counted) {
      const latest = await this.sql.first<OtpCodeRow>(LATEST, [phoneNumber]);
      throw await this.rejection(phoneNumber, latest && codeFromRow(latest), now);
    }
    if (!(await this.matches(phoneNumber, counted.code_hash, code))) {
      await this.limits.recordWrongGuess(phoneNumber);
      throw new ProblemException('otp_invalid');
    }
    return { id: Number(counted.id), phoneNumber };
  }

  /** Our own HMAC comparison, or, for providers that made the code (Twilio Verify), theirs. */
  private async matches(phoneNumber: string, codeHash: string, code: string): Promise<boolean> {
    if (this.delivery.providerChecksCodes && !this.config.testNumbers.has(phoneNumber)) {
      return this.delivery.check(phoneNumber, code);
    }
    return hashesMatch(codeHash, hashCode(this.config.secret, phoneNumber, code));
  }

  /** Deletes codes that expired before `before`; idempotent, so every instance may run it. */
  async purge(before: Date): Promise<number> {
    return (await this.sql.run(PURGE, [before.getTime()])).affected;
  }

  /**
   * Used, replaced and never-requested codes answer alike, and count as wrong guesses alike, so
   * a guesser learns nothing from which one it was.
   */
  private async rejection(phoneNumber: string, row: OtpCode | undefined, now: number): Promise<ProblemException> {
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
    await this.limits.recordWrongGuess(phoneNumber);
    return new ProblemException('otp_invalid');
  }
}

const VERIFICATION_RESULTS: readonly string[] = ['otp_invalid', 'otp_expired', 'otp_attempts_exceeded', 'rate_limited'];

function isVerificationResult(code: string): code is VerificationResult {
  return VERIFICATION_RESULTS.includes(code);
}

function codeFromRow(row: OtpCodeRow): OtpCode {
  return {
    id: Number(row.id),
    phoneNumber: row.phone_number,
    codeHash: row.code_hash,
    attempts: Number(row.attempts),
    createdAt: toDate(row.created_at),
    expiresAt: toDate(row.expires_at),
    consumedAt: toDateOrNull(row.consumed_at),
    invalidatedAt: toDateOrNull(row.invalidated_at),
  };
}
