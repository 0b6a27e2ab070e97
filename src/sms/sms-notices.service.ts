import { Inject, Injectable, Logger } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { maskPhone } from '../common/phone-number.service';
import { smsConfig } from '../config';
import type { SmsLocale } from './code-message';
import { renderPhoneChangedNotice } from './notice-message';
import { SmsSender, callWithTimeout } from './sms-sender';

/**
 * Texts notices about an account (no code in them). Best effort: what they report has already
 * happened, so a failed notice is logged, never turned into an error for the request.
 */
@Injectable()
export class SmsNotices {
  private readonly logger = new Logger(SmsNotices.name);

  constructor(
    @Inject(SmsSender) private readonly sender: SmsSender,
    @Inject(smsConfig.KEY) private readonly sms: ConfigType<typeof smsConfig>,
  ) {}

  /** Tells the number an account just left that it no longer signs in to it; whether the provider took it. */
  async phoneNumberChanged(to: string, locale: SmsLocale): Promise<boolean> {
    const { sender } = this;
    if (!sender.notify) {
      this.logger.warn(
        `SMS_PROVIDER ${this.sms.provider} cannot text notices; ${maskPhone(to)} was not told of its change`,
      );
      return false;
    }
    const body = renderPhoneChangedNotice(this.sms.appName, locale);
    try {
      await callWithTimeout(this.sms.timeoutMs, (signal) => sender.notify!({ to, body, locale }, signal));
      return true;
    } catch (error) {
      this.logger.warn(`Notice to ${maskPhone(to)} failed: ${error instanceof Error ? error.message : String(error)}`);
      return false;
    }
  }
}
