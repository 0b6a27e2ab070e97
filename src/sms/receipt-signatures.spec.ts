import { createHmac } from 'node:crypto';
import { checkTwilioSignature, checkWebhookSignature, WEBHOOK_TOLERANCE_SECONDS } from './receipt-signatures';

const mockLoaded: string[] = [];
jest.mock('twilio', () => {
  mockLoaded.push('twilio');
  return jest.requireActual<object>('twilio');
});

const SECRET = 'whsec-test-secret-of-reasonable-length';
const NOW_MS = 1_767_225_600_000;
const NOW = String(NOW_MS / 1000);
const ID = 'msg_0b7f3c4e-3a52-4d4b-9f6e-2f1a8c9d0e11';
/** Spacing, key order and a non-ASCII character a re-serialisation would not reproduce. */
const BODY = '{ "message_id": "msg_0b7f3c4e-3a52-4d4b-9f6e-2f1a8c9d0e11",\n  "status":"delivered", "note": "código" }';

/** A signature as a Standard Webhooks sender computes it: independent of the code under test. */
const v1 = (secret: string, id: string, timestamp: string, body: string) =>
  `v1,${createHmac('sha256', secret).update(`${id}.${timestamp}.${body}`, 'utf8').digest('base64')}`;

const headers = (overrides: Partial<Record<'id' | 'timestamp' | 'signature', string | undefined>> = {}) => ({
  id: ID,
  timestamp: NOW,
  signature: v1(SECRET, ID, NOW, BODY),
  ...overrides,
});

describe('checkWebhookSignature', () => {
  const check = (h: ReturnType<typeof headers>, body = BODY, secret = SECRET) =>
    checkWebhookSignature(secret, h, body, NOW_MS);

  it('accepts a v1 signature of id, timestamp and the exact body, and names the id', () => {
    expect(check(headers())).toEqual({ valid: true, id: ID });
  });

  it.each([
    ['a body with a changed value', BODY.replace('delivered', 'failed')],
    ['the same JSON re-serialised', JSON.stringify(JSON.parse(BODY))],
    ['a trailing newline', `${BODY}\n`],
  ])('refuses %s', (_case, body) => {
    expect(check(headers(), body)).toEqual({ valid: false, reason: 'mismatch' });
  });

  it('refuses a signature made with another secret', () => {
    expect(check(headers({ signature: v1('another-secret', ID, NOW, BODY) }))).toEqual({
      valid: false,
      reason: 'mismatch',
    });
  });

  it.each([
    ['another id', headers({ id: 'msg_other' })],
    ['another timestamp', headers({ timestamp: String(Number(NOW) - 1) })],
  ])('refuses a signature moved to %s', (_case, h) => {
    expect(check(h)).toEqual({ valid: false, reason: 'mismatch' });
  });

  it.each(['id', 'timestamp', 'signature'] as const)('refuses a request without webhook-%s as unsigned', (header) => {
    expect(check(headers({ [header]: undefined }))).toEqual({ valid: false, reason: 'unsigned' });
  });

  it.each([
    ['an empty id', { id: '' }],
    ['an id longer than 256 characters', { id: 'x'.repeat(257) }],
    ['a timestamp in milliseconds with a fraction', { timestamp: `${NOW}.5` }],
    ['a date for a timestamp', { timestamp: new Date(NOW_MS).toISOString() }],
  ])('refuses %s as unsigned', (_case, override) => {
    expect(check(headers(override))).toEqual({ valid: false, reason: 'unsigned' });
  });

  it('refuses a header given several values instead of picking one', () => {
    expect(checkWebhookSignature(SECRET, { ...headers(), id: [ID, ID] }, BODY, NOW_MS)).toEqual({
      valid: false,
      reason: 'unsigned',
    });
  });

  it.each([
    ['stale', -(WEBHOOK_TOLERANCE_SECONDS + 1)],
    ['future', WEBHOOK_TOLERANCE_SECONDS + 1],
  ])('refuses a correctly signed request as %s when it is dated more than 5 minutes away', (reason, offset) => {
    const timestamp = String(Number(NOW) + offset);
    const signed = headers({ timestamp, signature: v1(SECRET, ID, timestamp, BODY) });
    expect(check(signed)).toEqual({ valid: false, reason });
  });

  it.each([-WEBHOOK_TOLERANCE_SECONDS, WEBHOOK_TOLERANCE_SECONDS])(
    'accepts a request exactly %i seconds away',
    (offset) => {
      const timestamp = String(Number(NOW) + offset);
      expect(check(headers({ timestamp, signature: v1(SECRET, ID, timestamp, BODY) }))).toEqual({
        valid: true,
        id: ID,
      });
    },
  );

  it('accepts a header listing several signatures when one of them matches (a secret being rotated)', () => {
    const signature = [v1('old-secret', ID, NOW, BODY), 'v1a,c29tZSBlZDI1NTE5', v1(SECRET, ID, NOW, BODY)].join(' ');
    expect(check(headers({ signature }))).toEqual({ valid: true, id: ID });
  });

  it('refuses a header listing several signatures none of which matches', () => {
    const signature = [v1('old-secret', ID, NOW, BODY), v1('other-secret', ID, NOW, BODY)].join(' ');
    expect(check(headers({ signature }))).toEqual({ valid: false, reason: 'mismatch' });
  });

  it.each([
    ['under another version', v1(SECRET, ID, NOW, BODY).replace('v1,', 'v2,')],
    ['without its version', v1(SECRET, ID, NOW, BODY).slice(3)],
    ['with base64 padding removed', v1(SECRET, ID, NOW, BODY).replace(/=+$/, '')],
    ['empty', ''],
  ])('refuses the right HMAC %s', (_case, signature) => {
    expect(check(headers({ signature }))).toEqual({ valid: false, reason: 'mismatch' });
  });
});

const AUTH_TOKEN = '12345678901234567890123456789012';
const CALLBACK_URL = 'https://otp.example.com/api/sms/status/twilio/';
const FORM = {
  MessageSid: 'SM0123456789abcdef0123456789abcdef',
  MessageStatus: 'delivered',
  AccountSid: 'AC0123456789abcdef0123456789abcdef',
  To: '+12015550123',
  ApiVersion: '2010-04-01',
};

/** What Twilio signs: HMAC-SHA1 of the URL and each field's name and value in name order, as its docs describe. */
function twilioSignature(token: string, url: string, params: Record<string, string>): string {
  const data = Object.keys(params)
    .sort()
    .reduce((text, key) => text + key + params[key], url);
  return createHmac('sha1', token).update(data, 'utf8').digest('base64');
}

describe('checkTwilioSignature', () => {
  it('does not load the Twilio SDK for a callback without a signature', () => {
    expect(checkTwilioSignature(AUTH_TOKEN, undefined, CALLBACK_URL, FORM)).toBe(false);
    expect(checkTwilioSignature(AUTH_TOKEN, '', CALLBACK_URL, FORM)).toBe(false);

    expect(mockLoaded).toEqual([]);
  });

  it("accepts Twilio's signature of the configured URL and the fields, checked by the SDK it loads then", () => {
    expect(checkTwilioSignature(AUTH_TOKEN, twilioSignature(AUTH_TOKEN, CALLBACK_URL, FORM), CALLBACK_URL, FORM)).toBe(
      true,
    );
    expect(mockLoaded).toEqual(['twilio']);
  });

  it.each([
    ['a changed field', { ...FORM, MessageStatus: 'failed' }],
    ['an added field', { ...FORM, ErrorCode: '30003' }],
    ['a removed field', { MessageSid: FORM.MessageSid, MessageStatus: FORM.MessageStatus }],
  ])('refuses a signature after %s', (_case, params) => {
    expect(
      checkTwilioSignature(AUTH_TOKEN, twilioSignature(AUTH_TOKEN, CALLBACK_URL, FORM), CALLBACK_URL, params),
    ).toBe(false);
  });

  it('refuses a signature made with another auth token', () => {
    const signature = twilioSignature('another-token-another-token-1234', CALLBACK_URL, FORM);
    expect(checkTwilioSignature(AUTH_TOKEN, signature, CALLBACK_URL, FORM)).toBe(false);
  });

  it('refuses a signature of another URL: a callback Twilio sent somewhere else', () => {
    const signature = twilioSignature(AUTH_TOKEN, 'https://evil.example.com/api/sms/status/twilio/', FORM);
    expect(checkTwilioSignature(AUTH_TOKEN, signature, CALLBACK_URL, FORM)).toBe(false);
  });

  it('refuses a repeated X-Twilio-Signature header', () => {
    const signature = twilioSignature(AUTH_TOKEN, CALLBACK_URL, FORM);
    expect(checkTwilioSignature(AUTH_TOKEN, [signature, signature], CALLBACK_URL, FORM)).toBe(false);
  });
});
