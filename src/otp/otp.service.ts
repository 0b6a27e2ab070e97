import { Inject, Injectable, Logger } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { InjectRepository } from '@nestjs/typeorm';
import { IsNull, LessThan, Repository } from 'typeorm';
import { ProblemException } from '../common/errors/problem.exception';
import { maskPhone } from '../common/phone-number.service';
import { otpConfig, smsConfig } from '../config';
import { renderCodeMessage, type SmsLocale } from '../sms/code-message';
import { SmsDeliveryError, SmsSender, withDeadline } from '../sms/sms-sender';
import { OtpCode } from './otp-code.entity';
import { generateCode, hashCode, hashesMatch } from './otp-code';
import { OtpLimitsService } from './otp-limits.service';

export interface IssuedOtp {
  expiresAt: Date;
  ttlSeconds: number;
}

@Injectable()
export class OtpService {
  private readonly logger = new Logger(OtpService.name);

  constructor(
    @InjectRepository(OtpCode) private readonly codes: Repository<OtpCode>,
    @Inject(otpConfig.KEY) private readonly config: ConfigType<typeof otpConfig>,
    @Inject(smsConfig.KEY) private readonly sms: ConfigType<typeof smsConfig>,
    @Inject(SmsSender) private readonly smsSender: SmsSender,
    private readonly limits: OtpLimitsService,
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
    return { expiresAt, ttlSeconds: Math.ceil(this.config.ttlMs / 1000) };
  }

  private async text(row: OtpCode, code: string, locale: SmsLocale): Promise<void> {
    const { appName, webOtpDomain, timeoutMs } = this.sms;
    const body = renderCodeMessage({ appName, code, ttlMs: this.config.ttlMs, locale, webOtpDomain });
    const deadline = AbortSignal.timeout(timeoutMs);
    try {
      await withDeadline(this.smsSender.send({ to: row.phoneNumber, code, body, locale }, deadline), deadline);
    } catch (error) {
      // The code may never have reached the phone, so it must never be redeemable.
      await this.codes.update(row.id, { invalidatedAt: new Date() });
      await this.limits.releaseCooldown(row.phoneNumber);
      throw this.deliveryProblem(row.phoneNumber, error);
    }
  }

  private deliveryProblem(phoneNumber: string, error: unknown): ProblemException {
    const failure = error instanceof SmsDeliveryError ? error : new SmsDeliveryError(String(error));
    if (failure.reason === 'invalid_number') {
      return new ProblemException('invalid_phone_number', { detail: 'This number cannot receive SMS.' });
    }
    if (failure.reason === 'not_allowed') {
      return new ProblemException('phone_not_allowed', { detail: 'Codes cannot be texted to this number.' });
    }
    if (failure.reason === 'misconfigured') {
      this.logger.error(
        `SMS provider refused our credentials or settings; check ${failure.details.setting ?? 'the SMS_* and TWILIO_* settings'}: ${failure.message}`,
      );
    } else {
      this.logger.warn(`SMS to ${maskPhone(phoneNumber)} failed (${failure.reason}): ${failure.message}`);
    }
    return new ProblemException('sms_delivery_failed', { retryAfter: failure.details.retryAfterSeconds });
  }

  /**
   * Redeems the newest code for the phone. The attempt is counted by one conditional UPDATE
   * before the comparison, and the code is consumed by another, so parallel requests can neither
   * exceed the attempt cap nor redeem one code twice.
   */
  async verify(phoneNumber: string, code: string): Promise<void> {
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
    if (!this.smsSender.check || this.config.testNumbers.has(row.phoneNumber)) {
      return hashesMatch(row.codeHash, hashCode(this.config.secret, row.phoneNumber, code));
    }
    const deadline = AbortSignal.timeout(this.sms.timeoutMs);
    try {
      return await withDeadline(this.smsSender.check(row.phoneNumber, code, deadline), deadline);
    } catch (error) {
      const failure = error instanceof SmsDeliveryError ? error : new SmsDeliveryError(String(error));
      this.logger.warn(`Code check for ${maskPhone(row.phoneNumber)} failed (${failure.reason}): ${failure.message}`);
      throw new ProblemException('service_unavailable', {
        detail: 'The code could not be checked. Try again in a moment.',
      });
    }
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
