import { Inject, Injectable } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { ProblemException } from '../common/errors/problem.exception';
import { maskPhone } from '../common/phone-number.service';
import { smsConfig } from '../config';
import { SmsSender, asDeliveryError, callWithTimeout } from '../sms/sms-sender';

/**
 * Asks a provider that makes its own codes (Twilio Verify) whether a code is right, within
 * SMS_TIMEOUT; a provider that cannot answer is an outage (503, its failure the cause the problem
 * filter logs), not a wrong code.
 */
@Injectable()
export class ProviderCodeCheck {
  constructor(
    @Inject(SmsSender) private readonly sender: SmsSender,
    @Inject(smsConfig.KEY) private readonly sms: ConfigType<typeof smsConfig>,
  ) {}

  async check(to: string, code: string): Promise<boolean> {
    try {
      return await callWithTimeout(this.sms.timeoutMs, (signal) => this.sender.check!(to, code, signal));
    } catch (error) {
      const failure = asDeliveryError(error);
      throw new ProblemException('service_unavailable', {
        detail: 'The code could not be checked. Try again in a moment.',
        cause: new Error(`Code check for ${maskPhone(to)} failed (${failure.reason}): ${failure.message}`),
      });
    }
  }
}
