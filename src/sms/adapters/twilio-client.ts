import twilio from 'twilio';
import { SmsDeliveryError, type SmsFailure } from '../sms-sender';

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

/** Twilio error codes (https://www.twilio.com/docs/api/errors) and what they mean for us. */
const FAILURES: Record<number, [SmsFailure, string?]> = {
  20003: ['misconfigured', 'TWILIO_ACCOUNT_SID / TWILIO_AUTH_TOKEN'],
  20404: ['misconfigured', 'TWILIO_VERIFY_SERVICE_SID / TWILIO_MESSAGING_SERVICE_SID'],
  21212: ['misconfigured', 'TWILIO_FROM'],
  21606: ['misconfigured', 'TWILIO_FROM'],
  21659: ['misconfigured', 'TWILIO_FROM'],
  21211: ['invalid_number'],
  21614: ['invalid_number'],
  60200: ['invalid_number'],
  21408: ['not_allowed'],
  21610: ['not_allowed'],
  21612: ['not_allowed'],
  60410: ['not_allowed'],
  60605: ['not_allowed'],
  20429: ['rate_limited'],
  60203: ['rate_limited'],
};

interface TwilioRestError {
  status?: number;
  code?: number;
  message?: string;
}

/** Maps whatever the SDK threw (a RestException, a timeout, a socket error) to our failure kinds. */
export function toDeliveryError(error: unknown): SmsDeliveryError {
  const { status, code, message } = (error ?? {}) as TwilioRestError;
  const described = `Twilio${status ? ` ${status}` : ''}${code ? ` error ${code}` : ''}: ${message ?? String(error)}`;
  const [reason, setting] = (code !== undefined && FAILURES[code]) || byStatus(status);
  return new SmsDeliveryError(described, reason, {
    cause: error,
    setting,
    retryAfterSeconds: reason === 'rate_limited' ? 60 : undefined,
  });
}

function byStatus(status: number | undefined): [SmsFailure, string?] {
  if (status === 401 || status === 403) return ['misconfigured', 'TWILIO_ACCOUNT_SID / TWILIO_AUTH_TOKEN'];
  if (status === 429) return ['rate_limited'];
  return ['unavailable'];
}
