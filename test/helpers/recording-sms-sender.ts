import { SmsDeliveryError, type CodeMessage, type NoticeMessage, type SmsSender } from '../../src/sms/sms-sender';

/** Stands in for the SMS provider in e2e tests: records every message, fails on demand. */
export class RecordingSmsSender implements SmsSender {
  readonly sent: CodeMessage[] = [];
  /** Every message the app tried to send, including those that failed while `failing` was set. */
  readonly attempted: CodeMessage[] = [];
  /** Every notice (a text without a code) the app sent. */
  readonly notices: NoticeMessage[] = [];
  failing = false;

  send(message: CodeMessage): Promise<void> {
    this.attempted.push(message);
    if (this.failing) return Promise.reject(new SmsDeliveryError('recording sender set to fail'));
    this.sent.push(message);
    return Promise.resolve();
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
