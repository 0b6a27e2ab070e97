import { Inject, Injectable } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { InjectRepository } from '@nestjs/typeorm';
import { IsNull, LessThan, Repository } from 'typeorm';
import { ProblemException } from '../common/errors/problem.exception';
import { otpConfig } from '../config';
import type { SmsLocale } from '../sms/code-message';
import { MetricsService, type VerificationResult } from '../metrics/metrics.service';
import { OtpCode } from './otp-code.entity';
import { generateCode, hashCode, hashesMatch } from './otp-code';
import { OtpDeliveryService } from './otp-delivery.service';
import { OtpLimitsService } from './otp-limits.service';

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
    @InjectRepository(OtpCode) private readonly codes: Repository<OtpCode>,
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
      const row = await this.store(phoneNumber, code);
      if (testCode === undefined) await this.text(row, code, locale);
    } catch (error) {
      // Nothing reached the phone, so the next try must not wait out the resend cooldown.
      await this.limits.releaseCooldown(phoneNumber).catch(() => undefined);
      throw error;
    }
    this.metrics.codeSent();
    return { ttlSeconds: Math.ceil(this.config.ttlMs / 1000) };
  }

  /** Inserts the new code, then retires older ones (only older: parallel sends leave the newest live). */
  private async store(phoneNumber: string, code: string): Promise<OtpCode> {
    const now = new Date();
    const row = this.codes.create({
      phoneNumber,
      codeHash: hashCode(this.config.secret, phoneNumber, code),
      attempts: 0,
      createdAt: now,
      expiresAt: new Date(now.getTime() + this.config.ttlMs),
      consumedAt: null,
      invalidatedAt: null,
    });
    await this.codes.insert(row);
    await this.codes.update(
      { phoneNumber, id: LessThan(row.id), consumedAt: IsNull(), invalidatedAt: IsNull() },
      { invalidatedAt: now },
    );
    return row;
  }

  private async text(row: OtpCode, code: string, locale: SmsLocale): Promise<void> {
    try {
      await this.delivery.text(row.phoneNumber, code, locale);
    } catch (error) {
      // The code may never have reached the phone, so it must never be redeemable.
      await this.codes.update(row.id, { invalidatedAt: new Date() });
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
    const consumed = await this.codes
      .createQueryBuilder()
      .update()
      .set({ consumedAt: new Date() })
      .where('id = :id AND consumed_at IS NULL AND invalidated_at IS NULL', { id })
      .execute();
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
    const latest = await this.codes.findOne({ where: { phoneNumber }, order: { id: 'DESC' } });
    const now = Date.now();
    if (!latest || !this.isRedeemable(latest, now)) throw await this.rejection(phoneNumber, latest, now);

    const counted = await this.codes
      .createQueryBuilder()
      .update()
      .set({ attempts: () => 'attempts + 1' })
      .where('id = :id AND consumed_at IS NULL AND invalidated_at IS NULL', { id: latest.id })
      .andWhere('expires_at > :now AND attempts < :max', { now, max: this.config.maxAttempts })
      .execute();
    if (!counted.affected) {
      throw await this.rejection(phoneNumber, await this.codes.findOneBy({ id: latest.id }), now);
    }
    if (!(await this.matches(latest, code))) {
      await this.limits.recordWrongGuess(phoneNumber);
      throw new ProblemException('otp_invalid');
    }
    return { id: latest.id, phoneNumber };
  }

  /** Our own HMAC comparison, or, for providers that made the code (Twilio Verify), theirs. */
  private async matches(row: OtpCode, code: string): Promise<boolean> {
    if (this.delivery.providerChecksCodes && !this.config.testNumbers.has(row.phoneNumber)) {
      return this.delivery.check(row.phoneNumber, code);
    }
    return hashesMatch(row.codeHash, hashCode(this.config.secret, row.phoneNumber, code));
  }

  /** Deletes codes that expired before `before`; idempotent, so every instance may run it. */
  async purge(before: Date): Promise<number> {
    const result = await this.codes.delete({ expiresAt: LessThan(before) });
    return result.affected ?? 0;
  }

  private isRedeemable(row: OtpCode, now: number): boolean {
    return (
      !row.consumedAt && !row.invalidatedAt && row.attempts < this.config.maxAttempts && row.expiresAt.getTime() > now
    );
  }

  /**
   * Used, replaced and never-requested codes answer alike, and count as wrong guesses alike, so
   * a guesser learns nothing from which one it was.
   */
  private async rejection(phoneNumber: string, row: OtpCode | null, now: number): Promise<ProblemException> {
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
