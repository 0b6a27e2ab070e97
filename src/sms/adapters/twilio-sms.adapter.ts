import type twilio from 'twilio';
import { renderVoiceTwiml } from '../code-message';
import {
  SmsDeliveryError,
  type Channel,
  type CodeMessage,
  type NoticeMessage,
  type SentMessage,
  type SmsSender,
} from '../sms-sender';
import { toDeliveryError } from './twilio-client';

export type TwilioSender = { from: string } | { messagingServiceSid: string };

export interface TwilioSmsOptions {
  /** Spoken in calls: "Your {appName} code is …". */
  appName: string;
  /** Who texts: a number, or a Messaging Service. */
  sender: TwilioSender;
  /** E.164 WhatsApp sender; unset: the SMS sender's number, or its Messaging Service. */
  whatsappFrom?: string;
  /** Approved WhatsApp template (HX…) with the code as {{1}}; unset: our text as a free-form body. */
  whatsappContentSid?: string;
  /** E.164 number calls come from; unset: the SMS sender's number, and no calls from a Messaging Service. */
  voiceFrom?: string;
  /** Where Twilio posts delivery receipts for messages and calls; unset: none asked for. */
  statusCallbackUrl?: string;
}

/**
 * Twilio Programmable Messaging and Voice: we make the code, Twilio delivers our text by SMS or
 * WhatsApp, or calls and reads it out.
 */
export class TwilioSmsAdapter implements SmsSender {
  readonly channels: readonly Channel[];
  private readonly voiceFrom: string | undefined;

  constructor(
    private readonly client: ReturnType<typeof twilio>,
    private readonly options: TwilioSmsOptions,
  ) {
    const { sender, voiceFrom } = options;
    // A Messaging Service sends messages only: a call needs a number to come from.
    this.voiceFrom = voiceFrom ?? ('from' in sender ? sender.from : undefined);
    this.channels = this.voiceFrom ? ['sms', 'whatsapp', 'voice'] : ['sms', 'whatsapp'];
  }

  async send({ to, code, body, locale, channel }: CodeMessage): Promise<SentMessage> {
    let created: { sid: string };
    try {
      if (channel === 'voice') created = await this.call(to, code, locale);
      else if (channel === 'whatsapp') created = await this.whatsapp(to, code, body);
      else created = await this.text(to, body, this.receipts());
    } catch (error) {
      throw error instanceof SmsDeliveryError ? error : toDeliveryError(error, channel);
    }
    return { messageId: created.sid };
  }

  async notify({ to, body }: NoticeMessage): Promise<void> {
    try {
      await this.text(to, body);
    } catch (error) {
      throw toDeliveryError(error);
    }
  }

  /** Notices ask for no receipts: nothing waits on their delivery. */
  private text(to: string, body: string, receipts: { statusCallback?: string } = {}) {
    return this.client.messages.create({ to, body, ...this.options.sender, ...receipts });
  }

  private whatsapp(to: string, code: string, body: string) {
    const { sender, whatsappFrom, whatsappContentSid } = this.options;
    const from = whatsappFrom ? { from: `whatsapp:${whatsappFrom}` } : whatsappSender(sender);
    // WhatsApp takes a free-form message only inside a conversation the user opened; a code we
    // start needs an approved template, with the code as its variable.
    const content = whatsappContentSid
      ? { contentSid: whatsappContentSid, contentVariables: JSON.stringify({ 1: code }) }
      : { body };
    return this.client.messages.create({ to: `whatsapp:${to}`, ...from, ...content, ...this.receipts() });
  }

  private call(to: string, code: string, locale: CodeMessage['locale']) {
    if (!this.voiceFrom) {
      throw new SmsDeliveryError('Twilio calls need a number to call from', 'channel_refused', {
        setting: 'TWILIO_VOICE_FROM',
      });
    }
    const twiml = renderVoiceTwiml({ appName: this.options.appName, code, locale });
    return this.client.calls.create({ to, from: this.voiceFrom, twiml, ...this.receipts() });
  }

  private receipts(): { statusCallback?: string } {
    const { statusCallbackUrl } = this.options;
    return statusCallbackUrl ? { statusCallback: statusCallbackUrl } : {};
  }
}

function whatsappSender(sender: TwilioSender): { from: string } | { messagingServiceSid: string } {
  return 'from' in sender ? { from: `whatsapp:${sender.from}` } : sender;
}
