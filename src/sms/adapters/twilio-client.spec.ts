import RestException from 'twilio/lib/base/RestException';
import { CHANNELS, SmsDeliveryError, type Channel, type SmsFailure } from '../sms-sender';
import { toDeliveryError } from './twilio-client';

/** What the SDK throws for a Twilio error answer. */
function restException(status: number, body: unknown): RestException {
  return new RestException({ statusCode: status, body, headers: {} });
}

const twilioError = (status: number, code: number, message = `error ${code}`) =>
  restException(status, { code, message, more_info: `https://www.twilio.com/docs/errors/${code}`, status });

describe('toDeliveryError', () => {
  it.each<[number, number, SmsFailure]>([
    [21211, 400, 'invalid_number'],
    [21614, 400, 'invalid_number'],
    [60200, 400, 'invalid_number'],
    [21408, 400, 'not_allowed'],
    [21610, 400, 'not_allowed'],
    [21612, 400, 'not_allowed'],
    [60410, 403, 'not_allowed'],
    [60605, 403, 'not_allowed'],
    [20429, 429, 'rate_limited'],
    [60203, 429, 'rate_limited'],
  ])('maps Twilio error %i (HTTP %i) to %s', (code, status, reason) => {
    const error = toDeliveryError(twilioError(status, code));

    expect(error).toBeInstanceOf(SmsDeliveryError);
    expect(error.reason).toBe(reason);
    expect(error.details.setting).toBeUndefined();
  });

  it.each<[number, number, string]>([
    [20003, 401, 'TWILIO_AUTH_TOKEN'],
    [20003, 401, 'TWILIO_ACCOUNT_SID'],
    [20404, 404, 'TWILIO_VERIFY_SERVICE_SID'],
    [20404, 404, 'TWILIO_MESSAGING_SERVICE_SID'],
    [21212, 400, 'TWILIO_FROM'],
    [21606, 400, 'TWILIO_FROM'],
    [21659, 400, 'TWILIO_FROM'],
  ])('maps Twilio error %i (HTTP %i) to misconfigured, naming %s', (code, status, setting) => {
    const error = toDeliveryError(twilioError(status, code));

    expect(error.reason).toBe('misconfigured');
    expect(error.details.setting).toContain(setting);
  });

  it.each<[number, number, string]>([
    [60205, 403, 'Verify: SMS to a landline'],
    [60223, 400, 'Verify: the delivery channel is disabled in the service'],
    [68008, 400, 'Verify: the WhatsApp channel is not configured'],
    [63003, 400, 'WhatsApp: the number is no WhatsApp user'],
    [63024, 400, 'WhatsApp: Meta refuses the recipient'],
    [13224, 400, 'Voice: Twilio cannot call the number'],
    [13225, 400, 'Voice: calling the number is forbidden'],
    [13227, 400, 'Voice: Geo Permissions refuse the destination (<Dial>)'],
    [21214, 400, "Voice: the 'To' number cannot be reached by a call"],
    [21215, 400, 'Voice: Geo Permissions refuse the destination (Calls API)'],
    [21216, 400, 'Voice: Twilio blocks calls to the number'],
  ])('maps Twilio error %i (HTTP %i) to channel_refused: %s', (code, status) => {
    const error = toDeliveryError(twilioError(status, code));

    expect(error.reason).toBe('channel_refused');
    expect(error.details.setting).toBeUndefined();
    expect(error.details.retryAfterSeconds).toBeUndefined();
  });

  it('maps WhatsApp 63016 (outside the 24-hour window) to channel_refused, pointing at the template setting', () => {
    const error = toDeliveryError(twilioError(400, 63016), 'whatsapp');

    expect(error.reason).toBe('channel_refused');
    expect(error.details.setting).toBe('TWILIO_WHATSAPP_CONTENT_SID');
  });

  it('maps 21217 (a call to a number that does not look valid) to invalid_number', () => {
    expect(toDeliveryError(twilioError(400, 21217), 'voice').reason).toBe('invalid_number');
  });

  it('maps 63007 (the From is no WhatsApp sender) to misconfigured, naming TWILIO_WHATSAPP_FROM', () => {
    const error = toDeliveryError(twilioError(400, 63007), 'whatsapp');

    expect(error.reason).toBe('misconfigured');
    expect(error.details.setting).toBe('TWILIO_WHATSAPP_FROM');
  });

  it.each<[Channel | undefined, string]>([
    [undefined, 'TWILIO_FROM'],
    ['sms', 'TWILIO_FROM'],
    ['whatsapp', 'TWILIO_WHATSAPP_FROM / TWILIO_FROM'],
    ['voice', 'TWILIO_VOICE_FROM / TWILIO_FROM'],
  ])('names the sender setting of the channel (%s) when Twilio refuses the From: %s', (channel, setting) => {
    for (const code of [21212, 21606, 21659]) {
      const error = toDeliveryError(twilioError(400, code), channel);

      expect(error.reason).toBe('misconfigured');
      expect(error.details.setting).toBe(setting);
    }
  });

  it('keeps a number refusal a refusal of the number on every channel: 60410 is not a channel to fall back from', () => {
    for (const channel of CHANNELS)
      expect(toDeliveryError(twilioError(403, 60410), channel).reason).toBe('not_allowed');
  });

  it('lets the Twilio code win over the HTTP status: a 403 with 60410 is a refused number, not bad credentials', () => {
    expect(toDeliveryError(twilioError(403, 60410)).reason).toBe('not_allowed');
  });

  it.each<[number, SmsFailure, string | undefined]>([
    [401, 'misconfigured', 'TWILIO_AUTH_TOKEN'],
    [403, 'misconfigured', 'TWILIO_AUTH_TOKEN'],
    [429, 'rate_limited', undefined],
    [500, 'unavailable', undefined],
    [502, 'unavailable', undefined],
    [503, 'unavailable', undefined],
    [404, 'unavailable', undefined],
  ])('maps a bare HTTP %i without a Twilio code to %s', (status, reason, setting) => {
    const error = toDeliveryError(restException(status, '<html>nope</html>'));

    expect(error.reason).toBe(reason);
    if (setting) expect(error.details.setting).toContain(setting);
    else expect(error.details.setting).toBeUndefined();
  });

  it('maps an unknown Twilio code to unavailable', () => {
    expect(toDeliveryError(twilioError(400, 21602, 'Message body is required.')).reason).toBe('unavailable');
  });

  it.each([
    ['20429', twilioError(429, 20429)],
    ['60203', twilioError(429, 60203)],
    ['a bare 429', restException(429, '')],
  ])('gives a rate limit (%s) a positive whole number of seconds to wait', (_case, thrown) => {
    const { retryAfterSeconds } = toDeliveryError(thrown).details;

    expect(Number.isInteger(retryAfterSeconds)).toBe(true);
    expect(retryAfterSeconds).toBeGreaterThan(0);
  });

  it('gives no wait to failures that are not rate limits', () => {
    expect(toDeliveryError(twilioError(500, 20500)).details.retryAfterSeconds).toBeUndefined();
    expect(toDeliveryError(twilioError(400, 21211)).details.retryAfterSeconds).toBeUndefined();
  });

  it("describes the failure by status, code and Twilio's message, and keeps the original as the cause", () => {
    const thrown = twilioError(429, 20429, 'Too Many Requests');

    const error = toDeliveryError(thrown);

    expect(error.message).toBe('Twilio 429 error 20429: Too Many Requests');
    expect(error.cause).toBe(thrown);
    expect(error.details.cause).toBe(thrown);
  });

  it.each([
    ['a refused connection', Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' })],
    ['an axios timeout', Object.assign(new Error('timeout of 1000ms exceeded'), { code: 'ECONNABORTED' })],
    ['a reset socket', Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' })],
    ['a DNS failure', Object.assign(new Error('getaddrinfo ENOTFOUND api.twilio.com'), { code: 'ENOTFOUND' })],
    ['an abort', new DOMException('This operation was aborted', 'AbortError')],
    ['a plain Error', new Error('boom')],
    ['a string', 'boom'],
    ['undefined', undefined],
    ['null', null],
  ])('maps %s to unavailable without throwing', (_case, thrown) => {
    const error = toDeliveryError(thrown);

    expect(error).toBeInstanceOf(SmsDeliveryError);
    expect(error.reason).toBe('unavailable');
    expect(error.details.setting).toBeUndefined();
    expect(error.details.retryAfterSeconds).toBeUndefined();
  });

  it("names a network error's message so the log says what happened", () => {
    const thrown = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' });

    expect(toDeliveryError(thrown).message).toContain('connect ECONNREFUSED 127.0.0.1:1');
  });
});
