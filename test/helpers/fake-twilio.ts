import { randomBytes, randomInt } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Channel } from '../../src/sms/sms-sender';
import { closeServer, listenOnLoopback, readBody } from './loopback';

/** A request as the fake received it, answered or not. */
export interface TwilioRequest {
  method: string;
  /** Path and query, e.g. `/v2/Services/VA…/Verifications`. */
  path: string;
  /** The channel a Messages, Calls or Verifications request delivers on; undefined for others. */
  channel?: Channel;
  /** The SID of the message (SM…), call (CA…) or verification (VE…) the fake created for it. */
  sid?: string;
  headers: IncomingHttpHeaders;
  /** From HTTP Basic auth; undefined when the header is missing or malformed. */
  username?: string;
  password?: string;
  /**
   * The `application/x-www-form-urlencoded` body, parsed; addresses as sent (`whatsapp:+1…`),
   * `StatusCallback` included when the adapter asked for receipts.
   */
  form: Record<string, string>;
  /** Resolves once the exchange is over: answered, or its connection closed by either side. */
  settled: Promise<void>;
}

/** The Twilio errors the fake can answer with, by their real HTTP status and wording. */
export const TWILIO_ERRORS = {
  20003: { status: 401, message: () => 'Authenticate' },
  20404: { status: 404, message: (path: string) => `The requested resource ${path} was not found` },
  20429: { status: 429, message: () => 'Too Many Requests' },
  21211: { status: 400, message: (_: string, to: string) => `The 'To' number ${to} is not a valid phone number.` },
  21408: {
    status: 400,
    message: (_: string, to: string) =>
      `Permission to send an SMS has not been enabled for the region indicated by the 'To' number: ${to}.`,
  },
  21610: { status: 400, message: () => 'Attempt to send to unsubscribed recipient' },
  21612: {
    status: 400,
    message: (_: string, to: string) => `The 'To' phone number: ${to}, is not currently reachable via SMS.`,
  },
  21614: { status: 400, message: (_: string, to: string) => `'To' number ${to} is not a valid mobile number` },
  60200: { status: 400, message: (_: string, to: string) => `Invalid parameter \`To\`: ${to}` },
  60203: { status: 429, message: () => 'Max send attempts reached' },
  60205: { status: 403, message: () => 'SMS is not supported by landline phone number' },
  60223: { status: 400, message: () => 'Delivery channel disabled: the channel is disabled in the Verify Service' },
  60410: { status: 403, message: () => 'Verification delivery attempt blocked' },
  60605: {
    status: 403,
    message: () => 'Verification delivery attempt blocked: your Verify Geo-Permissions do not allow this country',
  },
  68008: { status: 400, message: () => 'Verify WhatsApp channel not configured' },
  63003: { status: 400, message: () => 'Channel could not find To address' },
  63007: { status: 400, message: () => "Twilio could not find a Channel with the specified 'From' address" },
  63016: {
    status: 400,
    message: () =>
      'Failed to send freeform message because you are outside the allowed window. If you are using WhatsApp, please use a Message Template.',
  },
  63024: { status: 400, message: () => 'Invalid message recipient' },
  13224: {
    status: 400,
    message: () => 'Dial: Twilio does not support calling this number or the number is invalid',
  },
  21215: {
    status: 400,
    message: (_: string, to: string) =>
      `Account not authorized to call ${to}. Perhaps you need to enable some international permissions.`,
  },
} as const;

export type TwilioErrorCode = keyof typeof TWILIO_ERRORS;

/** Plain HTTP failures the fake can answer with, as Twilio shapes them. */
const HTTP_FAILURES = {
  500: { code: 20500, message: 'An internal server error has occurred' },
  503: { code: 20503, message: 'Service Unavailable' },
} as const;

export type TwilioFailure = TwilioErrorCode | keyof typeof HTTP_FAILURES;

export interface ScriptedAnswer {
  status: number;
  /** Sent as JSON unless it is a string. */
  body?: unknown;
  headers?: Record<string, string>;
}

type Script = { answer: ScriptedAnswer } | { failure: TwilioFailure } | 'hang';

export interface FakeTwilioOptions {
  accountSid?: string;
  authToken?: string;
  /** Verify services the fake knows; any other Verify service SID gets 20404. */
  verifyServiceSids?: string[];
  /** Digits in the codes Verify makes. */
  codeLength?: number;
  /** Checks Verify allows per verification before answering 60202, as Twilio does. */
  maxChecks?: number;
}

interface Verification {
  sid: string;
  code: string;
  checks: number;
}

const sid = (prefix: string) => prefix + randomBytes(16).toString('hex');
const moreInfo = (code: number) => `https://www.twilio.com/docs/errors/${code}`;

/**
 * The parts of the Twilio REST API the adapters use, on loopback: Programmable Messaging's
 * `Messages.json` (SMS and WhatsApp), Voice's `Calls.json` and Verify v2's `Verifications` /
 * `VerificationCheck`. It checks Basic auth and the form fields like Twilio does, answers in
 * Twilio's JSON shapes, records every request, and can be told to fail or hang on the next one,
 * or on the next one of a channel.
 */
export class FakeTwilio {
  readonly requests: TwilioRequest[] = [];
  accountSid: string;
  /** What the fake accepts as the password; change it to make the app's credentials wrong. */
  authToken: string;
  private readonly verifyServiceSids: Set<string>;
  private readonly codeLength: number;
  private readonly maxChecks: number;
  private readonly scripts: Script[] = [];
  private readonly channelScripts = new Map<Channel, Script[]>();
  private readonly verifications = new Map<string, Verification>();
  /** Every code Verify made, per recipient, oldest first. */
  private readonly madeCodes = new Map<string, string[]>();
  private readonly server = createServer((req, res) => {
    // A client that gives up mid-request ends the exchange; there is nothing left to answer.
    this.handle(req, res).catch(() => res.destroy());
  });

  private constructor(options: FakeTwilioOptions) {
    this.accountSid = options.accountSid ?? sid('AC');
    this.authToken = options.authToken ?? randomBytes(16).toString('hex');
    this.verifyServiceSids = new Set(options.verifyServiceSids ?? [sid('VA')]);
    this.codeLength = options.codeLength ?? 6;
    this.maxChecks = options.maxChecks ?? 5;
  }

  static async start(options: FakeTwilioOptions = {}): Promise<FakeTwilio> {
    const fake = new FakeTwilio(options);
    await listenOnLoopback(fake.server);
    return fake;
  }

  /** Origin to give the app as TWILIO_API_BASE_URL. */
  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  get verifyServiceSid(): string {
    return [...this.verifyServiceSids][0];
  }

  /** Answers the next request with this Twilio error code (or plain 500 / 503), in Twilio's JSON shape. */
  failNext(failure: TwilioFailure): void {
    this.scripts.push({ failure });
  }

  /** Answers the next request with exactly this. */
  answerNext(answer: ScriptedAnswer): void {
    this.scripts.push({ answer });
  }

  /** Never answers the next request; the connection stays open until the client gives up or `close()`. */
  hangNext(): void {
    this.scripts.push('hang');
  }

  /**
   * Answers the next request on `channel` (a text, a WhatsApp message, a call, or a Verification on
   * it) with this Twilio error; requests on other channels go through. A `failNext` goes first.
   */
  failNextOn(channel: Channel, failure: TwilioFailure): void {
    this.channelScripts.set(channel, [...(this.channelScripts.get(channel) ?? []), { failure }]);
  }

  /** The newest code Verify made for `to`. */
  codeFor(to: string): string {
    const codes = this.madeCodes.get(to);
    if (!codes?.length) throw new Error(`the fake made no Verify code for ${to}`);
    return codes[codes.length - 1];
  }

  /** Requests whose path ends with `suffix` (`Messages.json`, `Calls.json`, `Verifications`, `VerificationCheck`). */
  requestsTo(suffix: string): TwilioRequest[] {
    return this.requests.filter((r) => r.path.split('?')[0].endsWith(`/${suffix}`));
  }

  /** Forgets requests, scripted answers and pending verifications; keeps the credentials. */
  reset(): void {
    this.requests.length = 0;
    this.scripts.length = 0;
    this.channelScripts.clear();
    this.verifications.clear();
    this.madeCodes.clear();
  }

  /** Stops listening and drops every connection, hanging ones included. */
  close(): Promise<void> {
    return closeServer(this.server);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const form = Object.fromEntries(new URLSearchParams(await readBody(req)));
    const settled = new Promise<void>((resolve) => res.once('close', resolve));
    const path = req.url ?? '';
    const request: TwilioRequest = {
      method: req.method ?? '',
      path,
      channel: channelOf(path, form),
      headers: req.headers,
      form,
      settled,
    };
    Object.assign(request, basicAuth(req.headers.authorization));
    this.requests.push(request);

    const script = this.scripts.shift() ?? (request.channel && this.channelScripts.get(request.channel)?.shift());
    if (script === 'hang') return;
    if (script && 'failure' in script) return this.failure(res, script.failure, request);
    if (script) return answer(res, script.answer);

    if (request.username !== this.accountSid || request.password !== this.authToken) {
      return this.error(res, 20003, request);
    }
    return this.route(res, request);
  }

  private route(res: ServerResponse, request: TwilioRequest): void {
    const path = request.path.split('?')[0];
    const api = /^\/2010-04-01\/Accounts\/([^/]+)\/(Messages|Calls)\.json$/.exec(path);
    const verify = /^\/v2\/Services\/([^/]+)\/(Verifications|VerificationCheck)$/.exec(path);
    if (request.method === 'POST' && api && api[1] === this.accountSid) {
      return api[2] === 'Messages' ? this.message(res, request) : this.call(res, request);
    }
    if (request.method === 'POST' && verify && this.verifyServiceSids.has(verify[1])) {
      return verify[2] === 'Verifications' ? this.verification(res, request, verify[1]) : this.check(res, request);
    }
    return this.error(res, 20404, request);
  }

  private message(res: ServerResponse, request: TwilioRequest): void {
    const { form } = request;
    if (!form.To) return this.fieldError(res, 21604, "A 'To' phone number is required.");
    if (!form.Body && !form.ContentSid) return this.fieldError(res, 21602, 'Message body is required.');
    if (form.From && form.To.startsWith('whatsapp:') !== form.From.startsWith('whatsapp:')) {
      return this.fieldError(res, 21910, 'Invalid From and To pair. From and To should be of the same channel');
    }
    if (form.ContentVariables && !form.ContentSid) {
      return this.fieldError(res, 21656, 'The ContentVariables Parameter is invalid.');
    }
    if (!form.From && !form.MessagingServiceSid) {
      return this.fieldError(res, 21603, "A 'From' or 'MessagingServiceSid' parameter is required to send a message.");
    }
    const messageSid = (request.sid = sid('SM'));
    json(res, 201, {
      sid: messageSid,
      account_sid: this.accountSid,
      to: form.To,
      from: form.From ?? null,
      messaging_service_sid: form.MessagingServiceSid ?? null,
      body: form.Body ?? null,
      status: form.MessagingServiceSid ? 'accepted' : 'queued',
      num_segments: '1',
      direction: 'outbound-api',
      api_version: '2010-04-01',
      price: null,
      error_code: null,
      error_message: null,
      date_created: new Date().toUTCString(),
      uri: `/2010-04-01/Accounts/${this.accountSid}/Messages/${messageSid}.json`,
    });
  }

  private call(res: ServerResponse, request: TwilioRequest): void {
    const { form } = request;
    if (!form.To) return this.fieldError(res, 21201, "No 'To' number is specified");
    if (!form.From) return this.fieldError(res, 21213, "No 'From' number is specified");
    if (!form.Twiml && !form.Url) return this.fieldError(res, 21205, 'Url or Twiml is required');
    const callSid = (request.sid = sid('CA'));
    json(res, 201, {
      sid: callSid,
      account_sid: this.accountSid,
      to: form.To,
      to_formatted: form.To,
      from: form.From,
      from_formatted: form.From,
      status: 'queued',
      direction: 'outbound-api',
      api_version: '2010-04-01',
      price: null,
      duration: null,
      answered_by: null,
      date_created: new Date().toUTCString(),
      uri: `/2010-04-01/Accounts/${this.accountSid}/Calls/${callSid}.json`,
    });
  }

  private verification(res: ServerResponse, request: TwilioRequest, serviceSid: string): void {
    const { form } = request;
    if (!form.To) return this.fieldError(res, 60200, 'Invalid parameter `To`');
    if (!VERIFY_CHANNELS.has(form.Channel)) return this.fieldError(res, 60200, 'Invalid parameter `Channel`');
    const code = Array.from({ length: this.codeLength }, () => randomInt(10)).join('');
    const verification = { sid: (request.sid = sid('VE')), code, checks: 0 };
    this.verifications.set(form.To, verification);
    this.madeCodes.set(form.To, [...(this.madeCodes.get(form.To) ?? []), code]);
    json(res, 201, {
      sid: verification.sid,
      service_sid: serviceSid,
      account_sid: this.accountSid,
      to: form.To,
      channel: form.Channel,
      status: 'pending',
      valid: false,
      lookup: {},
      amount: null,
      payee: null,
      send_code_attempts: [{ time: new Date().toISOString(), channel: form.Channel, attempt_sid: sid('VL') }],
      date_created: new Date().toISOString(),
      date_updated: new Date().toISOString(),
      url: `https://verify.twilio.com/v2/Services/${serviceSid}/Verifications/${verification.sid}`,
    });
  }

  private check(res: ServerResponse, request: TwilioRequest): void {
    const { form } = request;
    if (!form.Code) return this.fieldError(res, 60200, 'Invalid parameter `Code`');
    const verification = form.To ? this.verifications.get(form.To) : undefined;
    // Twilio forgets a verification once approved, expired or out of checks: then it is a 404.
    if (!verification) return this.error(res, 20404, request);
    verification.checks += 1;
    if (verification.checks > this.maxChecks) {
      this.verifications.delete(form.To);
      return this.fieldError(res, 60202, 'Max check attempts reached', 429);
    }
    const approved = form.Code === verification.code;
    if (approved) this.verifications.delete(form.To);
    json(res, 200, {
      sid: verification.sid,
      service_sid: request.path.split('/')[3],
      account_sid: this.accountSid,
      to: form.To,
      channel: 'sms',
      status: approved ? 'approved' : 'pending',
      valid: approved,
      amount: null,
      payee: null,
      date_created: new Date().toISOString(),
      date_updated: new Date().toISOString(),
    });
  }

  private failure(res: ServerResponse, failure: TwilioFailure, request: TwilioRequest): void {
    if (failure === 500 || failure === 503) {
      const { code, message } = HTTP_FAILURES[failure];
      return json(res, failure, { code, message, more_info: moreInfo(code), status: failure });
    }
    return this.error(res, failure, request);
  }

  private error(res: ServerResponse, code: TwilioErrorCode, request: TwilioRequest): void {
    const { status, message } = TWILIO_ERRORS[code];
    const path = request.path.replace(/^\/v2/, '').replace(/^\/2010-04-01/, '');
    json(res, status, { code, message: message(path, request.form.To ?? ''), more_info: moreInfo(code), status });
  }

  private fieldError(res: ServerResponse, code: number, message: string, status = 400): void {
    json(res, status, { code, message, more_info: moreInfo(code), status });
  }
}

const VERIFY_CHANNELS = new Map<string | undefined, Channel>([
  ['sms', 'sms'],
  ['whatsapp', 'whatsapp'],
  ['call', 'voice'],
]);

function channelOf(path: string, form: Record<string, string>): Channel | undefined {
  const resource = path.split('?')[0];
  if (resource.endsWith('/Calls.json')) return 'voice';
  if (resource.endsWith('/Messages.json')) return form.To?.startsWith('whatsapp:') ? 'whatsapp' : 'sms';
  if (resource.endsWith('/Verifications')) return VERIFY_CHANNELS.get(form.Channel);
  return undefined;
}

function basicAuth(header: string | undefined): { username?: string; password?: string } {
  const match = /^Basic ([A-Za-z0-9+/=]+)$/.exec(header ?? '');
  if (!match) return {};
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon < 0 ? {} : { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

function answer(res: ServerResponse, { status, body, headers }: ScriptedAnswer): void {
  const text = typeof body === 'string';
  res.writeHead(status, { 'content-type': text ? 'text/plain' : 'application/json', ...headers });
  res.end(text ? body : JSON.stringify(body ?? {}));
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}
