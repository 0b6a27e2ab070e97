import { Inject, Injectable } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { AuditTrail, type AuditSubject } from '../audit/audit-trail.service';
import { ProblemException } from '../common/errors/problem.exception';
import { otpConfig } from '../config';
import { Sql } from '../database/sql';
import { SendScreening, type SendContext } from '../fraud/send-screening.service';
import { MetricsService } from '../metrics/metrics.service';
import { resolveLocale, type SmsLocale } from '../sms/code-message';
import type { Channel } from '../sms/sms-sender';
import { codeSent, type SendOtpResponseDto } from './dto/code.dto';
import { generateCode, hashCode } from './otp-code';
import { SCREENED_PURPOSES } from './otp-code.entity';
import { OtpCodesRepository, type CodeScope } from './otp-codes.repository';
import { DeliveryChannels } from './delivery-channels.service';
import { OtpDeliveryService } from './otp-delivery.service';
import { OtpLimitsService } from './otp-limits.service';
import { SendRefusals } from './send-refusals.service';

/** What the client said about its language: an explicit `locale`, else its Accept-Language. */
export interface LanguageHints {
  locale?: string;
  acceptLanguage?: string;
}

/** What a code-sending route passes on from its request. */
export type SendRequest = LanguageHints & SendContext & { channel?: Channel };

/** Issues codes and texts them; OtpService checks and redeems them. */
@Injectable()
export class OtpSender {
  constructor(
    private readonly codes: OtpCodesRepository,
    @Inject(otpConfig.KEY) private readonly config: ConfigType<typeof otpConfig>,
    private readonly delivery: OtpDeliveryService,
    private readonly channels: DeliveryChannels,
    private readonly limits: OtpLimitsService,
    private readonly metrics: MetricsService,
    private readonly screening: SendScreening,
    private readonly refusals: SendRefusals,
    private readonly audit: AuditTrail,
    private readonly sql: Sql,
  ) {}

  /**
   * Replaces any live code of the scope with a new one and texts it. The limits are the number's,
   * whatever the purpose; a number the caller has not proven is screened against SMS pumping
   * first. A configured test number gets its fixed code and no SMS, under the same limits as
   * everyone else. Each refusal is recorded where it is decided, and the code's send with its
   * delivery row.
   */
  async issue(scope: CodeScope, request: SendRequest): Promise<SendOtpResponseDto> {
    const { phoneNumber } = scope;
    const subject = { ...scope, channel: request.channel, ip: request.clientIp };
    const locale = resolveLocale(request.locale, request.acceptLanguage);
    const testCode = this.config.testNumbers.get(phoneNumber);
    const plan = await this.refusals.unless(subject, () => this.channels.plan(phoneNumber, request.channel));
    const screened = testCode === undefined && SCREENED_PURPOSES.has(scope.purpose);
    const admission = screened
      ? await this.refusals.unless(subject, () => this.screening.admit(phoneNumber, request), screeningReason)
      : undefined;
    await this.limits.admitSend(phoneNumber, { sendsSms: testCode === undefined }, subject);
    // With a provider that makes its own codes (Twilio Verify) this one is never sent, and its
    // hash is a placeholder nobody can match: OtpService asks the provider instead.
    const code = testCode ?? generateCode(this.config.codeLength);
    let channel = plan[0];
    try {
      // The breaker counts only sends the limits let through, or anyone could trip a range by
      // hammering a number past its caps; a send its count then refuses leaves those caps spent.
      if (admission) {
        await this.refusals.unless(subject, () => this.screening.sent(phoneNumber, admission), screeningReason);
      }
      const id = await this.store(scope, code, testCode === undefined ? undefined : { ...subject, channel });
      if (testCode === undefined) channel = await this.text(id, phoneNumber, code, locale, plan, subject);
    } catch (error) {
      // Nothing reached the phone, so the next try must not wait out the resend cooldown.
      await this.limits.releaseCooldown(phoneNumber).catch(() => undefined);
      throw error;
    }
    this.metrics.codeSent();
    return codeSent(phoneNumber, Math.ceil(this.config.ttlMs / 1000), channel);
  }

  /**
   * Inserts the new code and retires older ones of its scope, together (only older: parallel sends
   * leave the newest live). A test number's code is sent as it is stored.
   */
  private store(scope: CodeScope, code: string, testNumber: AuditSubject | undefined): Promise<number> {
    const now = new Date();
    const row = {
      ...scope,
      codeHash: hashCode(this.config.secret, scope.phoneNumber, code),
      createdAt: now,
      expiresAt: new Date(now.getTime() + this.config.ttlMs),
    };
    const { codes, audit } = this;
    return this.sql.transaction(function* () {
      const id = yield* codes.insert(row);
      yield* codes.retireOlder(scope, id, now);
      if (testNumber) yield* audit.record({ type: 'code_sent', reason: 'test_number', ...testNumber }, now);
      return id;
    });
  }

  private async text(
    id: number,
    to: string,
    code: string,
    locale: SmsLocale,
    plan: Channel[],
    subject: AuditSubject,
  ): Promise<Channel> {
    try {
      return await this.delivery.deliver(id, to, code, locale, plan, subject);
    } catch (error) {
      // The code may never have reached the phone, so it must never be redeemable.
      const { codes, audit } = this;
      const reason = error instanceof ProblemException ? error.code : 'sms_delivery_failed';
      await this.sql.transaction(function* () {
        yield* codes.invalidate(id, new Date());
        yield* audit.record({ type: 'code_send_refused', reason, ...subject });
      });
      throw error;
    }
  }
}

/** The breaker's block answers rate_limited, like the send limits; its event says which it was. */
function screeningReason(refusal: ProblemException): string {
  return refusal.code === 'rate_limited' ? 'breaker' : refusal.code;
}
