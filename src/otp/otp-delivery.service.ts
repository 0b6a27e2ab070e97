import { Inject, Injectable, Logger } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { ProblemException } from '../common/errors/problem.exception';
import { maskPhone } from '../common/phone-number.service';
import { otpConfig, smsConfig } from '../config';
import { MetricsService } from '../metrics/metrics.service';
import { renderCodeMessage, type SmsLocale } from '../sms/code-message';
import { SmsDeliveryError, SmsSender, callWithTimeout } from '../sms/sms-sender';

/**
 * Talks to the SMS provider for OtpService: texts codes and, for providers that make their own
 * (Twilio Verify), asks them whether a code is right. Each call has the SMS_TIMEOUT deadline and
 * is never retried; provider failures become the API's problems.
 */
@Injectable()
export class OtpDeliveryService {
  private readonly logger = new Logger(OtpDeliveryService.name);

  constructor(
    @Inject(SmsSender) private readonly sender: SmsSender,
    @Inject(smsConfig.KEY) private readonly sms: ConfigType<typeof smsConfig>,
    @Inject(otpConfig.KEY) private readonly otp: ConfigType<typeof otpConfig>,
    private readonly metrics: MetricsService,
  ) {}

  /** Whether the provider, not our HMAC, decides if a code is right. */
  get providerChecksCodes(): boolean {
    return this.sender.check !== undefined;
  }

  async text(to: string, code: string, locale: SmsLocale): Promise<void> {
    const { appName, webOtpDomain } = this.sms;
    const body = renderCodeMessage({ appName, code, ttlMs: this.otp.ttlMs, locale, webOtpDomain });
    const started = performance.now();
    try {
      await this.withDeadline((signal) => this.sender.send({ to, code, body, locale }, signal));
      this.metrics.smsCall((performance.now() - started) / 1000);
    } catch (error) {
      const failure = asDeliveryError(error);
      this.metrics.smsCall((performance.now() - started) / 1000, failure.reason);
      throw this.problem(to, failure);
    }
  }

  async check(to: string, code: string): Promise<boolean> {
    try {
      return await this.withDeadline((signal) => this.sender.check!(to, code, signal));
    } catch (error) {
      const failure = asDeliveryError(error);
      this.logger.warn(`Code check for ${maskPhone(to)} failed (${failure.reason}): ${failure.message}`);
      throw new ProblemException('service_unavailable', {
        detail: 'The code could not be checked. Try again in a moment.',
      });
    }
  }

  private withDeadline<T>(call: (signal: AbortSignal) => Promise<T>): Promise<T> {
    return callWithTimeout(this.sms.timeoutMs, call);
  }

  private problem(to: string, failure: SmsDeliveryError): ProblemException {
    if (failure.reason === 'invalid_number') {
      return new ProblemException('invalid_phone_number', { detail: 'This number cannot receive SMS.' });
    }
    if (failure.reason === 'not_allowed') {
      return new ProblemException('phone_not_allowed', { detail: 'Codes cannot be texted to this number.' });
    }
    if (failure.reason === 'misconfigured') {
      const setting = failure.details.setting ?? 'the SMS_* and TWILIO_* settings';
      this.logger.error(`SMS provider refused our credentials or settings; check ${setting}: ${failure.message}`);
    } else {
      this.logger.warn(`SMS to ${maskPhone(to)} failed (${failure.reason}): ${failure.message}`);
    }
    return new ProblemException('sms_delivery_failed', { retryAfter: failure.details.retryAfterSeconds });
  }
}

function asDeliveryError(error: unknown): SmsDeliveryError {
  return error instanceof SmsDeliveryError
    ? error
    : new SmsDeliveryError(String(error), 'unavailable', { cause: error });
}
