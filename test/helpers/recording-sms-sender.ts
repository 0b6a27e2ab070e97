import { SmsDeliveryError, type SmsMessage, type SmsSender } from '../../src/sms/sms-sender';

/** Stands in for the SMS provider in e2e tests: records every message, fails on demand. */
export class RecordingSmsSender implements SmsSender {
  readonly sent: SmsMessage[] = [];
  failing = false;

  send(message: SmsMessage): Promise<void> {
    if (this.failing) return Promise.reject(new SmsDeliveryError('recording sender set to fail'));
    this.sent.push(message);
    return Promise.resolve();
  }

  /** The digits of the newest code texted to `phoneNumber` (E.164). */
  lastCodeFor(phoneNumber: string): string {
    const message = [...this.sent].reverse().find((m) => m.to === phoneNumber);
    const code = message && /code is (\d+)/.exec(message.body)?.[1];
    if (!code) throw new Error(`no code was texted to ${phoneNumber}`);
    return code;
  }

  countFor(phoneNumber: string): number {
    return this.sent.filter((m) => m.to === phoneNumber).length;
  }
}
