import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { closeServer, listenOnLoopback, readBody } from '../helpers/loopback';

export interface TextedCode {
  to: string;
  code: string;
}

/**
 * The operator's SMS gateway behind SMS_WEBHOOK_URL, as small as the cluster suite needs: it
 * records each code (and each notice's number) handed over and answers 204, after `delayMs` when a test wants sends to be
 * slow (to have requests in flight at a given moment). Signatures are the webhook suite's concern
 * (test/helpers/webhook-receiver.ts); this one only needs the codes.
 */
export class SmsGateway {
  readonly received: TextedCode[] = [];
  /** The numbers a notice (a text without a code) went to. */
  readonly notices: string[] = [];
  delayMs = 0;
  private readonly server = createServer((req, res) => {
    this.handle(req, res).catch(() => res.destroy());
  });

  static async start(): Promise<SmsGateway> {
    const gateway = new SmsGateway();
    await listenOnLoopback(gateway.server);
    return gateway;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/sms`;
  }

  /** The newest code texted to `to` (E.164). */
  codeFor(to: string): string {
    const texted = this.received.filter((m) => m.to === to);
    if (!texted.length) throw new Error(`no code was texted to ${to}`);
    return texted[texted.length - 1].code;
  }

  countFor(to: string): number {
    return this.received.filter((m) => m.to === to).length;
  }

  /** Resolves once `count` codes in all have arrived. */
  async waitForCount(count: number, withinMs = 10_000): Promise<void> {
    const deadline = Date.now() + withinMs;
    while (this.received.length < count) {
      if (Date.now() > deadline) throw new Error(`only ${this.received.length} of ${count} codes arrived`);
      await sleep(10);
    }
  }

  close(): Promise<void> {
    return closeServer(this.server);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const { type, to, code } = JSON.parse(await readBody(req)) as TextedCode & { type: 'otp' | 'notice' };
    if (type === 'notice') this.notices.push(to);
    else this.received.push({ to, code });
    if (this.delayMs) await sleep(this.delayMs);
    res.writeHead(204).end();
  }
}
