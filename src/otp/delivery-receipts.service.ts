import { Inject, Injectable, Logger } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { maskPhone, phoneRegion } from '../common/phone-number.service';
import { deliveryConfig, otpConfig } from '../config';
import { MetricsService } from '../metrics/metrics.service';
import type { OtpCode } from './otp-code.entity';
import { openCode, sealContext } from './otp-code';
import { OtpCodesRepository } from './otp-codes.repository';
import { OtpDeliveryService } from './otp-delivery.service';
import { OtpLimitsService } from './otp-limits.service';
import type { ProviderReceipt } from '../sms/receipt-statuses';
import { SmsDeliveriesRepository } from './sms-deliveries.repository';
import type { SmsDelivery } from './sms-delivery.entity';

/** What a provider's status callback said about one message, in our words. */
export type DeliveryReceipt = ProviderReceipt;

/**
 * Records delivery receipts, and sends a code once on its next channel when a receipt says its
 * first message did not arrive (OTP_FALLBACK, within OTP_FALLBACK_WINDOW of the send, while the
 * code is still the live one). A receipt never changes who may sign in: it only moves a message's
 * status and may send the same code again.
 */
@Injectable()
export class DeliveryReceipts {
  private readonly logger = new Logger(DeliveryReceipts.name);

  constructor(
    private readonly deliveries: SmsDeliveriesRepository,
    private readonly codes: OtpCodesRepository,
    private readonly delivery: OtpDeliveryService,
    private readonly limits: OtpLimitsService,
    private readonly metrics: MetricsService,
    @Inject(deliveryConfig.KEY) private readonly config: ConfigType<typeof deliveryConfig>,
    @Inject(otpConfig.KEY) private readonly otp: ConfigType<typeof otpConfig>,
  ) {}

  async record({ messageId, status, errorCode }: DeliveryReceipt): Promise<void> {
    const row = await this.deliveries.byMessageId(messageId);
    if (!row) return;
    const now = new Date();
    if (!(await this.deliveries.report(row.id, status, errorCode ?? null, now))) return;
    const code = await this.codes.byId(row.otpCodeId);
    if (code && ['delivered', 'undelivered', 'failed'].includes(status)) {
      this.metrics.delivery(row.channel, status, phoneRegion(code.phoneNumber));
      if (status === 'delivered')
        this.metrics.deliverySeconds(row.channel, (now.getTime() - row.createdAt.getTime()) / 1000);
    }
    if ((status === 'undelivered' || status === 'failed') && code && this.mayFallBack(row, code, now)) {
      await this.fallBack(row, code, now);
    }
  }

  /** Only the newest, unspent code of the number, soon enough after its send, and only once. */
  private mayFallBack(row: SmsDelivery, code: OtpCode, now: Date): boolean {
    return (
      this.config.fallback === 'on_failure' &&
      row.nextChannel !== null &&
      row.sealedCode !== null &&
      row.fallbackAt === null &&
      now.getTime() - row.createdAt.getTime() <= this.config.fallbackWindowMs &&
      !code.consumedAt &&
      !code.invalidatedAt &&
      code.expiresAt > now
    );
  }

  private async fallBack(row: SmsDelivery, code: OtpCode, now: Date): Promise<void> {
    // The claim is one conditional UPDATE: of receipts for this message arriving at several
    // instances at once (or a provider repeating one), one sends the fallback.
    if (!(await this.deliveries.claimFallback(row.id, now))) return;
    const to = code.phoneNumber;
    try {
      await this.limits.admitFallback(to);
    } catch {
      this.logger.warn(`No fallback for a code to ${maskPhone(to)}: the number's caps or the budgets are spent`);
      return;
    }
    const digits = openCode(this.otp.secret, row.sealedCode!, sealContext(row.otpCodeId, row.channel));
    this.logger.warn(
      `Code to ${maskPhone(to)} was not delivered on ${row.channel}; falling back to ${row.nextChannel}`,
    );
    const subject = { phoneNumber: to, purpose: code.purpose, userId: code.userId };
    await this.delivery.resend(row.otpCodeId, digits, row.locale, row.nextChannel!, subject);
  }
}
