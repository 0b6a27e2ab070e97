import twilio from 'twilio';
import { SmsDeliveryError, type Channel, type SmsFailure } from '../sms-sender';

type TwilioClient = ReturnType<typeof twilio>;
type RequestOptions = Parameters<InstanceType<typeof twilio.RequestClient>['request']>[0];

export interface TwilioClientOptions {
  accountSid: string;
  authToken: string;
  timeoutMs: number;
  /** Sends every request to this origin instead of *.twilio.com (a proxy, or the tests' fake). */
  apiBaseUrl?: string;
}

/**
 * The SDK's documented extension point for where requests go is a custom `httpClient`; this one
 * keeps each request's path and query and swaps the origin.
 */
class RedirectingRequestClient extends twilio.RequestClient {
  constructor(
    private readonly baseUrl: string,
    options: ConstructorParameters<typeof twilio.RequestClient>[0],
  ) {
    super(options);
  }

  override request<TData>(options: RequestOptions & { data?: TData }) {
    const original = new URL(options.uri);
    return super.request({ ...options, uri: new URL(original.pathname + original.search, this.baseUrl).toString() });
  }
}

export function createTwilioClient({
  accountSid,
  authToken,
  timeoutMs,
  apiBaseUrl,
}: TwilioClientOptions): TwilioClient {
  // No automatic retries: after a timeout the first request may still be delivered.
  const requestOptions = { timeout: timeoutMs, autoRetry: false };
  const httpClient = apiBaseUrl
    ? new RedirectingRequestClient(apiBaseUrl, requestOptions)
    : new twilio.RequestClient(requestOptions);
  return twilio(accountSid, authToken, { httpClient, autoRetry: false });
}

/** Stands for the sender setting of the channel the failed request was for (see SENDERS). */
const SENDER = 'sender';

/**
 * Twilio error codes (https://www.twilio.com/docs/api/errors) and what they mean for us.
 * `channel_refused`: this channel cannot reach this number, though another may (a landline takes a
 * call but no text; a number without WhatsApp takes a text).
 */
const FAILURES: Record<number, [SmsFailure, string?]> = {
  20003: ['misconfigured', 'TWILIO_ACCOUNT_SID / TWILIO_AUTH_TOKEN'],
  20404: ['misconfigured', 'TWILIO_VERIFY_SERVICE_SID / TWILIO_MESSAGING_SERVICE_SID'],
  21212: ['misconfigured', SENDER],
  21606: ['misconfigured', SENDER],
  21659: ['misconfigured', SENDER],
  // Messaging: the From is no WhatsApp sender of this account.
  63007: ['misconfigured', 'TWILIO_WHATSAPP_FROM'],
  21211: ['invalid_number'],
  21614: ['invalid_number'],
  // Voice: "Phone number does not appear to be valid".
  21217: ['invalid_number'],
  60200: ['invalid_number'],
  21408: ['not_allowed'],
  21610: ['not_allowed'],
  21612: ['not_allowed'],
  // Verify Fraud Guard blocked the number's prefix (suspected SMS pumping): the number is refused,
  // not the channel, and a call there would pay the same fraud.
  60410: ['not_allowed'],
  60605: ['not_allowed'],
  // Verify: SMS to a landline; the channel is disabled in the Verify Service; WhatsApp not set up for it.
  60205: ['channel_refused'],
  60223: ['channel_refused'],
  68008: ['channel_refused'],
  // WhatsApp: the number has no WhatsApp; outside the 24-hour window without an approved template;
  // Meta refuses the recipient.
  63003: ['channel_refused'],
  63016: ['channel_refused', 'TWILIO_WHATSAPP_CONTENT_SID'],
  63024: ['channel_refused'],
  // Voice: Twilio cannot call the number; dialling it is forbidden; the Voice Geo Permissions refuse
  // its country (13227 from <Dial>, 21215 from the Calls API); the number cannot be reached by a
  // call; Twilio blocks calls to it.
  13224: ['channel_refused'],
  13225: ['channel_refused'],
  13227: ['channel_refused'],
  21215: ['channel_refused'],
  21214: ['channel_refused'],
  21216: ['channel_refused'],
  20429: ['rate_limited'],
  60203: ['rate_limited'],
};

/** The setting that names each channel's sender, for a refused `From`. */
const SENDERS: Record<Channel, string> = {
  sms: 'TWILIO_FROM',
  whatsapp: 'TWILIO_WHATSAPP_FROM / TWILIO_FROM',
  voice: 'TWILIO_VOICE_FROM / TWILIO_FROM',
};

interface TwilioRestError {
  status?: number;
  code?: number;
  message?: string;
}

/**
 * Maps whatever the SDK threw (a RestException, a timeout, a socket error) to our failure kinds;
 * `channel`, when known, names the right sender setting for a refused `From`.
 */
export function toDeliveryError(error: unknown, channel: Channel = 'sms'): SmsDeliveryError {
  const { status, code, message } = (error ?? {}) as TwilioRestError;
  const described = `Twilio${status ? ` ${status}` : ''}${code ? ` error ${code}` : ''}: ${message ?? String(error)}`;
  const [reason, setting] = (code !== undefined && FAILURES[code]) || byStatus(status);
  return new SmsDeliveryError(described, reason, {
    cause: error,
    setting: setting === SENDER ? SENDERS[channel] : setting,
    retryAfterSeconds: reason === 'rate_limited' ? 60 : undefined,
  });
}

function byStatus(status: number | undefined): [SmsFailure, string?] {
  if (status === 401 || status === 403) return ['misconfigured', 'TWILIO_ACCOUNT_SID / TWILIO_AUTH_TOKEN'];
  if (status === 429) return ['rate_limited'];
  return ['unavailable'];
}
