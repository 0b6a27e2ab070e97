import type twilio from 'twilio';
import { CHANNELS, type Channel, type CodeMessage, type SentMessage, type SmsSender } from '../sms-sender';
import { toDeliveryError } from './twilio-client';

/** Verify's names for our channels: it calls a voice delivery a `call`. */
const VERIFY_CHANNELS: Record<Channel, 'sms' | 'whatsapp' | 'call'> = {
  sms: 'sms',
  whatsapp: 'whatsapp',
  voice: 'call',
};

/**
 * Twilio Verify: Twilio makes, texts and checks the code (in its own localised template); we
 * still decide who may ask and how often, count every guess, and sign the user in.
 */
export class TwilioVerifyAdapter implements SmsSender {
  /** Each also has to be enabled in the Verify Service; Twilio answers 60223 when it is not. */
  readonly channels = CHANNELS;

  constructor(
    private readonly client: ReturnType<typeof twilio>,
    private readonly serviceSid: string,
  ) {}

  async send({ to, locale, channel }: CodeMessage): Promise<SentMessage> {
    try {
      const verification = await this.service().verifications.create({
        to,
        channel: VERIFY_CHANNELS[channel],
        locale,
      });
      return { messageId: verification.sid };
    } catch (error) {
      throw toDeliveryError(error, channel);
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
