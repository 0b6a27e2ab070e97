import { randomBytes } from 'node:crypto';
import {
  CHANNELS,
  SmsDeliveryError,
  type Channel,
  type CodeMessage,
  type NoticeMessage,
  type SentMessage,
  type SmsSender,
} from '../../src/sms/sms-sender';

/** Stands in for the SMS provider in e2e tests: records every message, fails on demand. */
export class RecordingSmsSender implements SmsSender {
  readonly channels = CHANNELS;
  readonly sent: CodeMessage[] = [];
  /** Every message the app tried to send, including those that failed while `failing` was set. */
  readonly attempted: CodeMessage[] = [];
  /** Every notice (a text without a code) the app sent. */
  readonly notices: NoticeMessage[] = [];
  /** Every send and notice fails (as `unavailable`). */
  failing = false;
  /** Sends on these channels fail (as `unavailable`) while the others go through: for fallback tests. */
  failingChannels = new Set<Channel>();
  private delivered = 0;
  /** Message ids are unique across instances, as a provider's are: two apps on one database meet in its unique index. */
  private readonly instance = randomBytes(4).toString('hex');

  send(message: CodeMessage): Promise<SentMessage> {
    this.attempted.push(message);
    if (this.failing) return Promise.reject(new SmsDeliveryError('recording sender set to fail'));
    if (this.failingChannels.has(message.channel)) {
      return Promise.reject(new SmsDeliveryError(`recording sender set to fail on ${message.channel}`, 'unavailable'));
    }
    this.sent.push(message);
    return Promise.resolve({ messageId: `rec_${this.instance}_${++this.delivered}` });
  }

  notify(message: NoticeMessage): Promise<void> {
    if (this.failing) return Promise.reject(new SmsDeliveryError('recording sender set to fail'));
    this.notices.push(message);
    return Promise.resolve();
  }

  /** The digits of the newest code texted to `phoneNumber` (E.164). */
  lastCodeFor(phoneNumber: string): string {
    return newestCode(this.sent, phoneNumber);
  }

  /** The digits of the newest code the app tried to text to `phoneNumber`, delivered or not. */
  lastAttemptedCodeFor(phoneNumber: string): string {
    return newestCode(this.attempted, phoneNumber);
  }

  countFor(phoneNumber: string): number {
    return this.sent.filter((m) => m.to === phoneNumber).length;
  }
}

function newestCode(messages: CodeMessage[], phoneNumber: string): string {
  const message = [...messages].reverse().find((m) => m.to === phoneNumber);
  const code = message?.code;
  if (!code) throw new Error(`no code was texted to ${phoneNumber}`);
  return code;
}
