import { Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { appendFile, mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import {
  CHANNELS,
  SmsDeliveryError,
  type Channel,
  type CodeMessage,
  type NoticeMessage,
  type SentMessage,
  type SmsSender,
} from '../sms-sender';

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
  readonly channels = CHANNELS;
  private readonly logger = new Logger('MockSms');
  private readonly random: () => number;

  constructor(private readonly options: MockSmsOptions) {
    this.random = options.random ?? Math.random;
  }

  async send({ to, body, channel }: CodeMessage): Promise<SentMessage> {
    await this.deliver({ kind: 'code', channel }, to, body);
    return { messageId: `mock_${randomUUID()}` };
  }

  notify({ to, body }: NoticeMessage): Promise<void> {
    return this.deliver({ kind: 'notice' }, to, body);
  }

  private async deliver(
    label: { kind: 'code'; channel: Channel } | { kind: 'notice' },
    to: string,
    body: string,
  ): Promise<void> {
    if (this.random() < this.options.failureRate) {
      throw new SmsDeliveryError('Mock SMS provider simulated a delivery failure');
    }
    this.logger.log(`${'channel' in label ? LOG_NAMES[label.channel] : 'SMS'} to ${to}: ${body}`);
    if (this.options.outbox) {
      await mkdir(dirname(this.options.outbox), { recursive: true });
      const line = { ...label, to, body, sent_at: new Date().toISOString() };
      await appendFile(this.options.outbox, JSON.stringify(line) + '\n');
    }
  }
}

const LOG_NAMES: Record<Channel, string> = { sms: 'SMS', whatsapp: 'WhatsApp message', voice: 'Call' };
