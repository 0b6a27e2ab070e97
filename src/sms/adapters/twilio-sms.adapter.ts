import type twilio from 'twilio';
import type { CodeMessage, NoticeMessage, SmsSender } from '../sms-sender';
import { toDeliveryError } from './twilio-client';

export type TwilioSender = { from: string } | { messagingServiceSid: string };

/** Twilio Programmable Messaging: we make the code, Twilio delivers our text. */
export class TwilioSmsAdapter implements SmsSender {
  constructor(
    private readonly client: ReturnType<typeof twilio>,
    private readonly sender: TwilioSender,
  ) {}

  send({ to, body }: CodeMessage): Promise<void> {
    return this.deliver(to, body);
  }

  notify({ to, body }: NoticeMessage): Promise<void> {
    return this.deliver(to, body);
  }

  private async deliver(to: string, body: string): Promise<void> {
    try {
      await this.client.messages.create({ to, body, ...this.sender });
    } catch (error) {
      throw toDeliveryError(error);
    }
  }
}
