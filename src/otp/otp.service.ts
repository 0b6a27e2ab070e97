import { Inject, Injectable } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { InjectRepository } from '@nestjs/typeorm';
import { IsNull, LessThan, Repository } from 'typeorm';
import { ProblemException } from '../common/errors/problem.exception';
import { otpConfig } from '../config';
import type { SmsLocale } from '../sms/code-message';
import { OtpCode } from './otp-code.entity';
import { generateCode, hashCode, hashesMatch } from './otp-code';
import { MetricsService, type VerificationResult } from '../metrics/metrics.service';
import { OtpDeliveryService } from './otp-delivery.service';
import { OtpLimitsService } from './otp-limits.service';

export interface IssuedOtp {
  expiresAt: Date;
  ttlSeconds: number;
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
    const code = testCode ?? generateCode(this.config.codeLength);
    const now = new Date();
    const expiresAt = new Date(now.getTime() + this.config.ttlMs);
    await this.codes.update({ phoneNumber, consumedAt: IsNull(), invalidatedAt: IsNull() }, { invalidatedAt: now });
    const row = this.codes.create({
      phoneNumber,
      codeHash: hashCode(this.config.secret, phoneNumber, code),
      attempts: 0,
      createdAt: now,
      expiresAt,
      consumedAt: null,
      invalidatedAt: null,
    });
    await this.codes.insert(row);
    if (testCode === undefined) await this.text(row, code, locale);
    this.metrics.codeSent();
    return { expiresAt, ttlSeconds: Math.ceil(this.config.ttlMs / 1000) };
  }

  private async text(row: OtpCode, code: string, locale: SmsLocale): Promise<void> {
    try {
      await this.delivery.text(row.phoneNumber, code, locale);
    } catch (error) {
      // The code may never have reached the phone, so it must never be redeemable.
      await this.codes.update(row.id, { invalidatedAt: new Date() });
      await this.limits.releaseCooldown(row.phoneNumber);
      throw error;
    }
  }

  /**
   * Redeems the newest code for the phone. The attempt is counted by one conditional UPDATE
   * before the comparison, and the code is consumed by another, so parallel requests can neither
   * exceed the attempt cap nor redeem one code twice.
   */
  async verify(phoneNumber: string, code: string): Promise<void> {
    try {
      await this.redeem(phoneNumber, code);
      this.metrics.verification('success');
    } catch (error) {
      this.metrics.verification(
        error instanceof ProblemException && isVerificationResult(error.code) ? error.code : 'error',
      );
      throw error;
    }
  }

  private async redeem(phoneNumber: string, code: string): Promise<void> {
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
    const consumed = await this.codes
      .createQueryBuilder()
      .update()
      .set({ consumedAt: new Date(now) })
      .where('id = :id AND consumed_at IS NULL AND invalidated_at IS NULL', { id: latest.id })
      .execute();
    if (!consumed.affected) throw new ProblemException('otp_invalid');
    await this.limits.recordSuccess(phoneNumber);
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
      if (row.attempts >= this.config.maxAttempts) return new ProblemException('otp_attempts_exceeded');
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
