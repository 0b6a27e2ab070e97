import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { closeServer, listenOnLoopback, readBody } from './loopback';

/** What an SMS gateway behind SMS_WEBHOOK_URL is handed. */
export interface SmsHookPayload {
  type: string;
  /** The `webhook-id` header's value: the gateway names the message by it in delivery receipts. */
  message_id: string;
  /** `sms`, `whatsapp` or `voice`; codes only. */
  channel?: string;
  to: string;
  code: string;
  body: string;
  locale: string;
}

export interface ReceivedWebhook {
  headers: IncomingHttpHeaders;
  /** The body exactly as sent: the signature covers these bytes. */
  rawBody: string;
  payload: SmsHookPayload;
  /** Whether one of the `webhook-signature` entries is a valid `v1` for `secret`, id and timestamp. */
  signatureValid: boolean;
  /** Resolves once the exchange is over: answered, or its connection closed by either side. */
  settled: Promise<void>;
}

export interface WebhookAnswer {
  status: number;
  /** Sent as JSON unless it is a string. */
  body?: unknown;
  headers?: Record<string, string>;
}

/** How old (or far in the future) a `webhook-timestamp` may be, as the Standard Webhooks libraries allow. */
const TOLERANCE_SECONDS = 5 * 60;

/**
 * An operator's SMS gateway on loopback, as the webhook adapter expects one: it verifies the
 * Standard Webhooks signature (`v1,<base64 HMAC-SHA256 of "id.timestamp.body">`, keyed by the
 * secret's UTF-8 bytes, as the README documents) and answers 401 to anything unsigned, forged or
 * stale; otherwise 204, or whatever it was told to answer next.
 */
export class WebhookReceiver {
  readonly received: ReceivedWebhook[] = [];
  private readonly scripts: (WebhookAnswer | 'hang')[] = [];
  private readonly server = createServer((req, res) => {
    // A client that gives up mid-request ends the exchange; there is nothing left to answer.
    this.handle(req, res).catch(() => res.destroy());
  });

  private constructor(
    /** Change it to make the app's SMS_WEBHOOK_SECRET wrong. */
    public secret: string,
  ) {}

  static async start(secret: string): Promise<WebhookReceiver> {
    const receiver = new WebhookReceiver(secret);
    await listenOnLoopback(receiver.server);
    return receiver;
  }

  /** The endpoint to give the app as SMS_WEBHOOK_URL. */
  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/sms`;
  }

  answerNext(answer: WebhookAnswer): void {
    this.scripts.push(answer);
  }

  /** 422 `{"code": …}`: the gateway refuses the number. */
  refuseNext(code: string): void {
    this.answerNext({ status: 422, body: { code } });
  }

  /** 429, with this `Retry-After` value unless undefined. */
  throttleNext(retryAfter?: string): void {
    this.answerNext({
      status: 429,
      body: { error: 'slow down' },
      headers: retryAfter ? { 'retry-after': retryAfter } : {},
    });
  }

  /** Never answers the next request; the connection stays open until the client gives up or `close()`. */
  hangNext(): void {
    this.scripts.push('hang');
  }

  /** Forgets what it received and any scripted answers. */
  reset(): void {
    this.received.length = 0;
    this.scripts.length = 0;
  }

  /** Stops listening and drops every connection, hanging ones included. */
  close(): Promise<void> {
    return closeServer(this.server);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const rawBody = await readBody(req);
    const settled = new Promise<void>((resolve) => res.once('close', resolve));
    const signatureValid = this.verify(req.headers, rawBody);
    this.received.push({ headers: req.headers, rawBody, payload: parse(rawBody), signatureValid, settled });

    const script = this.scripts.shift();
    if (script === 'hang') return;
    const answer = script ?? (signatureValid ? { status: 204 } : { status: 401, body: { error: 'bad signature' } });
    const text = typeof answer.body === 'string';
    res.writeHead(answer.status, { 'content-type': text ? 'text/plain' : 'application/json', ...answer.headers });
    res.end(answer.status === 204 ? undefined : text ? answer.body : JSON.stringify(answer.body ?? {}));
  }

  private verify(headers: IncomingHttpHeaders, rawBody: string): boolean {
    const id = headers['webhook-id'];
    const timestamp = headers['webhook-timestamp'];
    const signatures = headers['webhook-signature'];
    if (typeof id !== 'string' || typeof timestamp !== 'string' || typeof signatures !== 'string') return false;
    if (!/^\d+$/.test(timestamp) || Math.abs(Date.now() / 1000 - Number(timestamp)) > TOLERANCE_SECONDS) return false;
    const expected = createHmac('sha256', this.secret).update(`${id}.${timestamp}.${rawBody}`).digest();
    return signatures.split(' ').some((entry) => {
      const [version, signature] = entry.split(',');
      const given = Buffer.from(signature ?? '', 'base64');
      return version === 'v1' && given.length === expected.length && timingSafeEqual(given, expected);
    });
  }
}

function parse(rawBody: string): SmsHookPayload {
  try {
    return JSON.parse(rawBody) as SmsHookPayload;
  } catch {
    return {} as SmsHookPayload;
  }
}
