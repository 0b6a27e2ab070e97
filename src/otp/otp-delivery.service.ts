import { Inject, Injectable, Logger } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { AuditTrail, type AuditRecord, type AuditSubject } from '../audit/audit-trail.service';
import { maskPhone, phoneRegion } from '../common/phone-number.service';
import { deliveryConfig, otpConfig, smsConfig } from '../config';
import { Sql } from '../database/sql';
import { MetricsService } from '../metrics/metrics.service';
import { renderCodeMessage, type SmsLocale } from '../sms/code-message';
import { SmsDeliveryError, SmsSender, asDeliveryError, callWithTimeout, type Channel } from '../sms/sms-sender';
import { deliveryProblem } from './delivery-problem';
import { sealCode, sealContext } from './otp-code';
import { OtpLimitsService } from './otp-limits.service';
import { SmsDeliveriesRepository, type DeliveryAttempt } from './sms-deliveries.repository';

/**
 * Talks to the SMS provider for OtpService: sends codes on their channel, and once more on the
 * next channel when the first fails (OTP_FALLBACK); ProviderCodeCheck asks providers that make
 * their own codes whether one is right. Each call has the SMS_TIMEOUT deadline and
 * is never retried on its channel; provider failures become the API's problems.
 */
@Injectable()
export class OtpDeliveryService {
  private readonly logger = new Logger(OtpDeliveryService.name);

  constructor(
    @Inject(SmsSender) private readonly sender: SmsSender,
    @Inject(smsConfig.KEY) private readonly sms: ConfigType<typeof smsConfig>,
    @Inject(otpConfig.KEY) private readonly otp: ConfigType<typeof otpConfig>,
    @Inject(deliveryConfig.KEY) private readonly delivery: ConfigType<typeof deliveryConfig>,
    private readonly limits: OtpLimitsService,
    private readonly metrics: MetricsService,
    private readonly deliveries: SmsDeliveriesRepository,
    private readonly audit: AuditTrail,
    private readonly sql: Sql,
  ) {}

  /** Whether the provider, not our HMAC, decides if a code is right. */
  get providerChecksCodes(): boolean {
    return this.sender.check !== undefined;
  }

  /**
   * Sends code `codeId` on the plan's first channel; if that fails and OTP_FALLBACK allows, sends
   * the same code once on the next channel, counted against the number's caps and the budgets like
   * any send. Each attempt is recorded for its delivery receipts, and a first attempt that a
   * receipt may still report undelivered keeps the code sealed for its fallback. The attempt that
   * took the code records it sent. Returns the channel that took it.
   */
  async deliver(
    codeId: number,
    to: string,
    code: string,
    locale: SmsLocale,
    [first, next]: Channel[],
    subject: AuditSubject,
  ): Promise<Channel> {
    const fallback = next && this.delivery.fallback === 'on_failure' ? next : undefined;
    const attempt = { otpCodeId: codeId, locale, createdAt: new Date() };
    let messageId: string | undefined;
    try {
      messageId = await this.send(to, code, locale, first);
    } catch (error) {
      const failure = asDeliveryError(error);
      await this.record({ ...attempt, channel: first, status: 'failed', fallbackAt: fallback ? new Date() : null });
      // A number no channel can reach, or nowhere to fall back to: the failure stands.
      if (!fallback || failure.reason === 'invalid_number') throw deliveryProblem(this.logger, to, failure);
      try {
        await this.limits.admitFallback(to);
      } catch {
        throw deliveryProblem(this.logger, to, failure);
      }
      this.logger.warn(`Code to ${maskPhone(to)} failed on ${first} (${failure.reason}); falling back to ${fallback}`);
      const fallbackFailure = await this.attempt(codeId, to, code, locale, fallback, { type: 'code_sent', ...subject });
      if (fallbackFailure) throw deliveryProblem(this.logger, to, fallbackFailure);
      return fallback;
    }
    // Providers that make their own codes (Verify) send their code, not ours: no sealed copy.
    const sealable = fallback && messageId && !this.providerChecksCodes;
    await this.record(
      {
        ...attempt,
        channel: first,
        messageId: messageId ?? null,
        nextChannel: sealable ? fallback : null,
        sealedCode: sealable ? sealCode(this.otp.secret, code, sealContext(codeId, first)) : null,
      },
      { type: 'code_sent', ...subject, channel: first },
    );
    return first;
  }

  /**
   * Sends the code on `channel` as the fallback a receipt asked for, and records the attempt; false
   * when it failed (logged: no one is waiting for the answer).
   */
  async resend(
    codeId: number,
    code: string,
    locale: SmsLocale,
    channel: Channel,
    subject: AuditSubject & { phoneNumber: string },
  ): Promise<boolean> {
    const to = subject.phoneNumber;
    const sent: AuditRecord = { type: 'code_sent', reason: 'fallback', ...subject };
    const failure = await this.attempt(codeId, to, code, locale, channel, sent);
    if (failure) this.logger.warn(`Fallback of a code to ${maskPhone(to)} on ${channel} failed (${failure.reason})`);
    return !failure;
  }

  /** One recorded attempt with no fallback of its own; the failure, if it failed. */
  private async attempt(
    codeId: number,
    to: string,
    code: string,
    locale: SmsLocale,
    channel: Channel,
    sent: AuditRecord,
  ): Promise<SmsDeliveryError | undefined> {
    const attempt = { otpCodeId: codeId, locale, createdAt: new Date(), channel };
    try {
      const messageId = await this.send(to, code, locale, channel);
      await this.record({ ...attempt, messageId: messageId ?? null }, { ...sent, channel });
      return undefined;
    } catch (error) {
      await this.record({ ...attempt, status: 'failed' });
      return asDeliveryError(error);
    }
  }

  private async send(to: string, code: string, locale: SmsLocale, channel: Channel): Promise<string | undefined> {
    const { appName, webOtpDomain } = this.sms;
    const body = renderCodeMessage({ appName, code, ttlMs: this.otp.ttlMs, locale, webOtpDomain });
    const started = performance.now();
    const country = phoneRegion(to);
    try {
      const sent = await this.withDeadline((signal) => this.sender.send({ to, code, body, locale, channel }, signal));
      this.metrics.smsCall((performance.now() - started) / 1000);
      this.metrics.delivery(channel, 'sent', country);
      return sent?.messageId;
    } catch (error) {
      const failure = asDeliveryError(error);
      this.metrics.smsCall((performance.now() - started) / 1000, failure.reason);
      this.metrics.delivery(channel, 'failed', country);
      throw failure;
    }
  }

  /**
   * Bookkeeping for receipts, and the code's `sent` event with it, in one commit: a failure to
   * record them must not fail a send that happened.
   */
  private async record(attempt: DeliveryAttempt, sent?: AuditRecord): Promise<void> {
    const { deliveries, audit } = this;
    await this.sql
      .transaction(function* () {
        yield* deliveries.insert(attempt);
        if (sent) yield* audit.record(sent, attempt.createdAt);
      })
      .catch((error: unknown) => {
        this.logger.warn(`Could not record a delivery attempt: ${String(error)}`);
      });
  }

  private withDeadline<T>(call: (signal: AbortSignal) => Promise<T>): Promise<T> {
    return callWithTimeout(this.sms.timeoutMs, call);
  }
}
