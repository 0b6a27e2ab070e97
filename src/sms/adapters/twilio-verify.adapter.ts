import type twilio from 'twilio';
import type { CodeMessage, SmsSender } from '../sms-sender';
import { toDeliveryError } from './twilio-client';

/**
 * Twilio Verify: Twilio makes, texts and checks the code (in its own localised template); we
 * still decide who may ask and how often, count every guess, and sign the user in.
 */
export class TwilioVerifyAdapter implements SmsSender {
  constructor(
    private readonly client: ReturnType<typeof twilio>,
    private readonly serviceSid: string,
  ) {}

  async send({ to, locale }: CodeMessage): Promise<void> {
    try {
      await this.service().verifications.create({ to, channel: 'sms', locale });
    } catch (error) {
      throw toDeliveryError(error);
    }
  }

  async check(to: string, code: string): Promise<boolean> {
    try {
      const result = await this.service().verificationChecks.create({ to, code });
      return result.status === 'approved';
    } catch (error) {
      // 404: no pending verification (expired, approved already, or too many checks): not a match.
      if ((error as { status?: number }).status === 404) return false;
      throw toDeliveryError(error);
    }
  }

  private service() {
    return this.client.verify.v2.services(this.serviceSid);
  }
}
