import { createHmac, randomUUID } from 'node:crypto';
import {
  CHANNELS,
  SmsDeliveryError,
  type CodeMessage,
  type NoticeMessage,
  type SentMessage,
  type SmsFailure,
  type SmsSender,
} from '../sms-sender';

export interface WebhookSmsOptions {
  url: string;
  secret: string;
}

/** What a gateway may answer with 422 to say why it refused a number, or the channel for it. */
const REFUSALS: Record<string, SmsFailure> = {
  invalid_phone_number: 'invalid_number',
  phone_not_allowed: 'not_allowed',
  channel_not_enabled: 'channel_refused',
};

/**
 * Hands each code to an operator's own HTTP endpoint, which texts it through any gateway (the
 * idea of Supabase's "send SMS hook"). The JSON body is signed the Standard Webhooks way:
 * `webhook-signature: v1,<base64 HMAC-SHA256 of "id.timestamp.body">` keyed by SMS_WEBHOOK_SECRET,
 * so the receiver can tell our requests from forgeries and replays. The gateway delivers on the
 * payload's `channel` (it may refuse one with 422 `channel_not_enabled`), and names the message by
 * its `message_id`, the `webhook-id` too, in the delivery receipts it sends back.
 */
export class WebhookSmsAdapter implements SmsSender {
  readonly channels = CHANNELS;

  constructor(private readonly options: WebhookSmsOptions) {}

  async send({ to, code, body, locale, channel }: CodeMessage, signal: AbortSignal): Promise<SentMessage> {
    const id = messageId();
    await this.post(id, JSON.stringify({ type: 'otp', message_id: id, channel, to, code, body, locale }), signal);
    return { messageId: id };
  }

  notify({ to, body, locale }: NoticeMessage, signal: AbortSignal): Promise<void> {
    const id = messageId();
    return this.post(id, JSON.stringify({ type: 'notice', message_id: id, to, body, locale }), signal);
  }

  private async post(id: string, payload: string, signal: AbortSignal): Promise<void> {
    const timestamp = Math.floor(Date.now() / 1000).toString();
    let response: Response;
    try {
      response = await fetch(this.options.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'webhook-id': id,
          'webhook-timestamp': timestamp,
          'webhook-signature': `v1,${sign(this.options.secret, `${id}.${timestamp}.${payload}`)}`,
        },
        body: payload,
        signal,
        redirect: 'error',
      });
    } catch (error) {
      throw new SmsDeliveryError('The SMS webhook could not be reached', 'unavailable', { cause: error });
    }
    if (response.ok) return;
    throw await failure(response);
  }
}

const messageId = () => `msg_${randomUUID()}`;

export function sign(secret: string, content: string): string {
  return createHmac('sha256', secret).update(content).digest('base64');
}

async function failure(response: Response): Promise<SmsDeliveryError> {
  const { status } = response;
  if (status === 422) {
    const answer = (await response.json().catch(() => ({}))) as { code?: string };
    const reason = REFUSALS[answer.code ?? ''];
    if (reason) {
      const refused = reason === 'channel_refused' ? 'the channel for this number' : 'the number';
      return new SmsDeliveryError(`The SMS webhook refused ${refused} (${answer.code})`, reason);
    }
  }
  if (status === 429) {
    return new SmsDeliveryError('The SMS webhook is rate limiting', 'rate_limited', {
      retryAfterSeconds: retryAfterSeconds(response.headers.get('retry-after')),
    });
  }
  if (status === 401 || status === 403 || status === 404) {
    return new SmsDeliveryError(`The SMS webhook answered ${status}`, 'misconfigured', {
      setting: status === 404 ? 'SMS_WEBHOOK_URL' : 'SMS_WEBHOOK_SECRET',
    });
  }
  return new SmsDeliveryError(`The SMS webhook answered ${status}`, 'unavailable');
}

const DEFAULT_RETRY_AFTER_SECONDS = 60;

/** `Retry-After` as whole seconds, from either of its forms (delay or HTTP date), else a minute. */
function retryAfterSeconds(header: string | null): number {
  const seconds =
    header && /^\d+(\.\d+)?$/.test(header.trim()) ? Number(header) : (Date.parse(header ?? '') - Date.now()) / 1000;
  return Number.isFinite(seconds) && seconds > 0 ? Math.ceil(seconds) : DEFAULT_RETRY_AFTER_SECONDS;
}
