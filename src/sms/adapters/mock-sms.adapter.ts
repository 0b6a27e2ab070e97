import { Logger } from '@nestjs/common';
import { appendFile, mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { SmsDeliveryError, type CodeMessage, type NoticeMessage, type SmsSender } from '../sms-sender';

export interface MockSmsOptions {
  /** Share of sends that fail, 0 to 1, like the seed's simulated 5%. */
  failureRate: number;
  /** JSONL file each delivery is appended to; none when undefined. */
  outbox?: string;
  random?: () => number;
}

/**
 * Development stand-in for a provider, as the seed had: prints the message (code included, on
 * purpose, so a developer can sign in) and appends it to the outbox file that `npm run demo` reads.
 */
export class MockSmsAdapter implements SmsSender {
  private readonly logger = new Logger('MockSms');
  private readonly random: () => number;

  constructor(private readonly options: MockSmsOptions) {
    this.random = options.random ?? Math.random;
  }

  send({ to, body }: CodeMessage): Promise<void> {
    return this.deliver('code', to, body);
  }

  notify({ to, body }: NoticeMessage): Promise<void> {
    return this.deliver('notice', to, body);
  }

  private async deliver(kind: 'code' | 'notice', to: string, body: string): Promise<void> {
    if (this.random() < this.options.failureRate) {
      throw new SmsDeliveryError('Mock SMS provider simulated a delivery failure');
    }
    this.logger.log(`SMS to ${to}: ${body}`);
    if (this.options.outbox) {
      await mkdir(dirname(this.options.outbox), { recursive: true });
      const line = { kind, to, body, sent_at: new Date().toISOString() };
      await appendFile(this.options.outbox, JSON.stringify(line) + '\n');
    }
  }
}
