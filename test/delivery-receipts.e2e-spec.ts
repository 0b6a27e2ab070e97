import { createHmac, randomUUID } from 'node:crypto';
import type { Response } from 'supertest';
import { ProblemException } from '../src/common/errors/problem.exception';
import { DeliveryReceipts } from '../src/otp/delivery-receipts.service';
import { backends, deleteRedisPrefix, testRedisUrl, uniqueRedisPrefix, type Backend } from './helpers/backends';
import { dialects } from './helpers/databases';
import { FakeTwilio } from './helpers/fake-twilio';
import { expectProblem } from './helpers/problems';
import { useTestApp, type TestApp } from './helpers/test-app';
import { WebhookReceiver } from './helpers/webhook-receiver';

const RECEIPTS = { twilio: '/api/sms/status/twilio/', webhook: '/api/sms/status/webhook/' };
const FORM = 'application/x-www-form-urlencoded';
const WEBHOOK_SECRET = 'whsec-test-secret-of-reasonable-length';
/** What Twilio is told to call; it signs this URL, whatever URL the request then reaches the app on. */
const CALLBACK_URL = 'https://otp.example.com/api/sms/status/twilio/';
const MESSAGE_SID = 'SM' + 'ab12'.repeat(8);
const CALL_SID = 'CA' + 'cd34'.repeat(8);

const nowSeconds = () => String(Math.floor(Date.now() / 1000));

/** Standard Webhooks headers as the gateway signs a receipt: v1,<base64 HMAC-SHA256 of "id.timestamp.body">. */
function webhookHeaders(
  body: string,
  { id = `rcpt_${randomUUID()}`, timestamp = nowSeconds(), secret = WEBHOOK_SECRET } = {},
): Record<string, string> {
  const signature = createHmac('sha256', secret).update(`${id}.${timestamp}.${body}`).digest('base64');
  return { 'webhook-id': id, 'webhook-timestamp': timestamp, 'webhook-signature': `v1,${signature}` };
}

/** X-Twilio-Signature as Twilio computes it: HMAC-SHA1 of the URL and every field's name and value, by name. */
function twilioSignature(authToken: string, params: Record<string, string>, url = CALLBACK_URL): string {
  const data = Object.keys(params)
    .sort()
    .reduce((text, key) => text + key + params[key], url);
  return createHmac('sha1', authToken).update(data).digest('base64');
}

function without(headers: Record<string, string>, name: string): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).filter(([key]) => key !== name));
}

function spyOnReceipts(app: () => TestApp): () => jest.SpyInstance {
  let spy: jest.SpyInstance | undefined;
  beforeEach(() => {
    spy = jest.spyOn(app().app.get(DeliveryReceipts), 'record');
  });
  afterEach(() => spy?.mockRestore());
  return () => spy!;
}

describe.each(dialects())('delivery receipts on %s', (dialect) => {
  let twilio: FakeTwilio;
  let hook: WebhookReceiver;

  beforeAll(async () => {
    twilio = await FakeTwilio.start();
    hook = await WebhookReceiver.start(WEBHOOK_SECRET);
  });
  afterAll(async () => {
    await twilio?.close();
    await hook?.close();
  });
  afterEach(() => {
    twilio.reset();
    hook.reset();
  });

  const twilioEnv = (extra: Record<string, string> = {}) => ({
    SMS_PROVIDER: 'twilio',
    TWILIO_ACCOUNT_SID: twilio.accountSid,
    TWILIO_AUTH_TOKEN: twilio.authToken,
    TWILIO_FROM: '+12015550199',
    TWILIO_API_BASE_URL: twilio.url,
    ...extra,
  });

  describe('from the SMS gateway (SMS_PROVIDER=webhook)', () => {
    const app = useTestApp(dialect, () => ({
      realSms: true,
      env: { SMS_PROVIDER: 'webhook', SMS_WEBHOOK_URL: hook.url, SMS_WEBHOOK_SECRET: WEBHOOK_SECRET },
    }));
    const record = spyOnReceipts(app);

    const post = (body: string, headers: Record<string, string> = webhookHeaders(body)) =>
      app().http().post(RECEIPTS.webhook).set('Content-Type', 'application/json').set(headers).send(body);

    it('records the receipt for a code the gateway was handed, by the message_id it was given', async () => {
      await app().api.sendOtp('+12015550140').expect(200);
      const messageId = hook.received[0].payload.message_id;
      expect(messageId).toBe(hook.received[0].headers['webhook-id']);

      const res = await post(JSON.stringify({ message_id: messageId, status: 'delivered' }));

      expect(res.status).toBe(204);
      expect(res.text).toBe('');
      expect(record()).toHaveBeenCalledTimes(1);
      expect(record()).toHaveBeenCalledWith({ messageId, status: 'delivered' });
    });

    it.each([
      ['queued', undefined],
      ['sent', undefined],
      ['delivered', undefined],
      ['undelivered', '30003'],
      ['failed', 'carrier_rejected'],
    ])('records a signed %s receipt as it came, with its error code', async (status, errorCode) => {
      const body = JSON.stringify({ message_id: 'msg_unknown', status, ...(errorCode && { error_code: errorCode }) });

      expect((await post(body)).status).toBe(204);

      expect(record()).toHaveBeenCalledWith({ messageId: 'msg_unknown', status, errorCode });
    });

    it('checks the signature over the body exactly as sent: spacing, key order and escapes included', async () => {
      const body = '{\n  "status" : "sent",\t"message_id": "msg_\\u00e9t\u00e9"\n}\n';

      expect((await post(body)).status).toBe(204);

      expect(record()).toHaveBeenCalledWith({ messageId: 'msg_été', status: 'sent' });
    });

    it('accepts a header listing several signatures when one matches (a secret being rotated)', async () => {
      const body = JSON.stringify({ message_id: 'msg_rotated', status: 'sent' });
      const headers = webhookHeaders(body);
      const old = webhookHeaders(body, { id: headers['webhook-id'], secret: 'the-old-secret-being-rotated-out' });
      headers['webhook-signature'] = `${old['webhook-signature']} ${headers['webhook-signature']}`;

      expect((await post(body, headers)).status).toBe(204);
      expect(record()).toHaveBeenCalledTimes(1);
    });

    const receipt = JSON.stringify({ message_id: 'msg_forged', status: 'delivered' });
    const minutes = (n: number) => String(Math.floor(Date.now() / 1000) + n * 60);
    it.each<[string, () => Record<string, string>]>([
      ['without any signature headers', () => ({})],
      ['without webhook-id', () => without(webhookHeaders(receipt), 'webhook-id')],
      ['without webhook-timestamp', () => without(webhookHeaders(receipt), 'webhook-timestamp')],
      ['without webhook-signature', () => without(webhookHeaders(receipt), 'webhook-signature')],
      ['signed with another secret', () => webhookHeaders(receipt, { secret: 'not-the-secret-the-app-was-given' })],
      ['signed over another body', () => webhookHeaders(receipt.replace('delivered', 'failed'))],
      ['signed more than 5 minutes ago', () => webhookHeaders(receipt, { timestamp: minutes(-6) })],
      ['dated more than 5 minutes ahead', () => webhookHeaders(receipt, { timestamp: minutes(6) })],
    ])('refuses a receipt %s with 401 unauthorized and records nothing', async (_case, headers) => {
      const res = await post(receipt, headers());

      expectProblem(res, 401, 'unauthorized');
      expect(record()).not.toHaveBeenCalled();
    });

    it('refuses a replayed receipt (same webhook-id) with 401, even re-dated, and records it once', async () => {
      const body = JSON.stringify({ message_id: 'msg_replayed', status: 'undelivered' });
      const headers = webhookHeaders(body);

      expect((await post(body, headers)).status).toBe(204);
      expectProblem(await post(body, headers), 401, 'unauthorized');
      const redated = webhookHeaders(body, { id: headers['webhook-id'], timestamp: minutes(1) });
      expectProblem(await post(body, redated), 401, 'unauthorized');

      expect(record()).toHaveBeenCalledTimes(1);
    });

    it('accepts the retry of a receipt that failed, with the same webhook-id', async () => {
      const body = JSON.stringify({ message_id: 'msg_retried', status: 'delivered' });
      const headers = webhookHeaders(body);
      record().mockRejectedValueOnce(new ProblemException('service_unavailable'));

      expectProblem(await post(body, headers), 503, 'service_unavailable');
      expect((await post(body, headers)).status).toBe(204);

      expect(record()).toHaveBeenCalledTimes(2);
    });

    it.each([
      ['without message_id', { status: 'delivered' }],
      ['with a status that is not ours', { message_id: 'msg_1', status: 'read' }],
      ['with an unknown field', { message_id: 'msg_1', status: 'sent', delivered_at: '2026-01-01T00:00:00Z' }],
      ['with a numeric error_code', { message_id: 'msg_1', status: 'failed', error_code: 30003 }],
      ['that is an array', [{ message_id: 'msg_1', status: 'sent' }]],
    ])('answers a signed receipt %s with 400 validation_failed and records nothing', async (_case, payload) => {
      const res = await post(JSON.stringify(payload));

      expectProblem(res, 400, 'validation_failed');
      expect(record()).not.toHaveBeenCalled();
    });

    it('answers an unsigned malformed receipt with 401, not with what is wrong in it', async () => {
      expectProblem(await post(JSON.stringify({ status: 'read' }), {}), 401, 'unauthorized');
    });

    it('answers a receipt that is not JSON with 400 validation_failed', async () => {
      const body = '{"message_id": "msg_1",';
      expectProblem(await post(body), 400, 'validation_failed');
      expect(record()).not.toHaveBeenCalled();
    });

    it.each([
      [FORM, 'message_id=msg_1&status=delivered'],
      ['text/plain', '{"message_id":"msg_1","status":"delivered"}'],
    ])('answers a signed %s receipt with 415 unsupported_media_type', async (contentType, body) => {
      const res = await app()
        .http()
        .post(RECEIPTS.webhook)
        .set(webhookHeaders(body))
        .set('Content-Type', contentType)
        .send(body);

      expectProblem(res, 415, 'unsupported_media_type');
      expect(record()).not.toHaveBeenCalled();
    });

    it("answers Twilio's route with 404 not_found", async () => {
      const params = { MessageSid: MESSAGE_SID, MessageStatus: 'delivered' };
      const res = await app()
        .http()
        .post(RECEIPTS.twilio)
        .set('Content-Type', FORM)
        .set('X-Twilio-Signature', twilioSignature(twilio.authToken, params))
        .send(new URLSearchParams(params).toString());

      expectProblem(res, 404, 'not_found');
      expect(record()).not.toHaveBeenCalled();
    });
  });

  describe('from the SMS gateway, with THROTTLE_LIMIT=1', () => {
    const app = useTestApp(dialect, () => ({
      realSms: true,
      env: {
        SMS_PROVIDER: 'webhook',
        SMS_WEBHOOK_URL: hook.url,
        SMS_WEBHOOK_SECRET: WEBHOOK_SECRET,
        THROTTLE_LIMIT: '1',
      },
    }));

    it('takes every receipt from one address: the per-IP throttle does not drop them', async () => {
      for (let i = 0; i < 5; i++) {
        const body = JSON.stringify({ message_id: `msg_throttle_${i}`, status: 'delivered' });
        const res = await app()
          .http()
          .post(RECEIPTS.webhook)
          .set('Content-Type', 'application/json')
          .set(webhookHeaders(body))
          .send(body);
        expect(res.status).toBe(204);
      }
    });
  });

  describe('from Twilio (SMS_PROVIDER=twilio with TWILIO_STATUS_CALLBACK_URL)', () => {
    const app = useTestApp(dialect, () => ({
      realSms: true,
      env: twilioEnv({ TWILIO_STATUS_CALLBACK_URL: CALLBACK_URL }),
    }));
    const record = spyOnReceipts(app);

    const post = (
      params: Record<string, string>,
      /** null: none at all. */
      signature: string | null = twilioSignature(twilio.authToken, params),
    ) => {
      const request = app().http().post(RECEIPTS.twilio).set('Content-Type', `${FORM}; charset=utf-8`);
      if (signature !== null) request.set('X-Twilio-Signature', signature);
      return request.send(new URLSearchParams(params).toString());
    };
    /** Fields Twilio posts with every message callback besides the ones read. */
    const messageCallback = (sid: string, status: string, extra: Record<string, string> = {}) => ({
      AccountSid: twilio.accountSid,
      ApiVersion: '2010-04-01',
      From: '+12015550199',
      To: '+12015550141',
      SmsSid: sid,
      SmsStatus: status,
      MessageSid: sid,
      MessageStatus: status,
      ...extra,
    });

    it("records Twilio's receipt for the code it texted, by the message SID it answered with", async () => {
      await app().api.sendOtp('+12015550141').expect(200);
      const [sent] = twilio.requests;
      expect(sent.form.StatusCallback).toBe(CALLBACK_URL);

      const res = await post(messageCallback(sent.sid!, 'delivered'));

      expect(res.status).toBe(204);
      expect(res.text).toBe('');
      expect(record()).toHaveBeenCalledTimes(1);
      expect(record()).toHaveBeenCalledWith({ messageId: sent.sid, status: 'delivered' });
    });

    it.each([
      ['message', 'accepted', { MessageSid: MESSAGE_SID }, { messageId: MESSAGE_SID, status: 'queued' }],
      ['message', 'sent', { MessageSid: MESSAGE_SID }, { messageId: MESSAGE_SID, status: 'sent' }],
      ['message', 'read', { MessageSid: MESSAGE_SID }, { messageId: MESSAGE_SID, status: 'delivered' }],
      [
        'message',
        'undelivered',
        { MessageSid: MESSAGE_SID, ErrorCode: '30003' },
        { messageId: MESSAGE_SID, status: 'undelivered', errorCode: '30003' },
      ],
      ['message', 'canceled', { MessageSid: MESSAGE_SID }, { messageId: MESSAGE_SID, status: 'failed' }],
      ['call', 'completed', { CallSid: CALL_SID }, { messageId: CALL_SID, status: 'delivered' }],
      ['call', 'no-answer', { CallSid: CALL_SID }, { messageId: CALL_SID, status: 'undelivered' }],
      ['call', 'busy', { CallSid: CALL_SID }, { messageId: CALL_SID, status: 'undelivered' }],
    ])('records a %s callback with status %s as its receipt', async (kind, status, fields, expected) => {
      const statusField = kind === 'call' ? 'CallStatus' : 'MessageStatus';
      const params = { AccountSid: twilio.accountSid, ApiVersion: '2010-04-01', ...fields, [statusField]: status };

      expect((await post(params)).status).toBe(204);

      expect(record()).toHaveBeenCalledWith(expected);
    });

    it('accepts a status that says nothing about delivery, and records nothing', async () => {
      expect((await post(messageCallback(MESSAGE_SID, 'receiving'))).status).toBe(204);
      expect(record()).not.toHaveBeenCalled();
    });

    it.each<[string, (params: Record<string, string>) => string | null]>([
      ['without X-Twilio-Signature', () => null],
      ['signed with another auth token', (params) => twilioSignature('ffffffffffffffffffffffffffffffff', params)],
      [
        'signed for the URL it reached rather than TWILIO_STATUS_CALLBACK_URL',
        (params) => twilioSignature(twilio.authToken, params, `http://127.0.0.1${RECEIPTS.twilio}`),
      ],
      [
        'whose fields changed after signing',
        (params) => twilioSignature(twilio.authToken, { ...params, MessageStatus: 'undelivered' }),
      ],
      ['with a garbage signature', () => 'bm90IGEgc2lnbmF0dXJl'],
    ])('refuses a callback %s with 401 unauthorized and records nothing', async (_case, sign) => {
      const params = messageCallback(MESSAGE_SID, 'delivered');

      expectProblem(await post(params, sign(params)), 401, 'unauthorized');
      expect(record()).not.toHaveBeenCalled();
    });

    it('answers a signed callback without a message or call SID with 400 validation_failed', async () => {
      const res = await post({ AccountSid: twilio.accountSid, MessageStatus: 'delivered' });

      expectProblem(res, 400, 'validation_failed');
      expect(res.body.errors).toEqual([{ field: 'MessageSid', message: expect.any(String) }]);
      expect(record()).not.toHaveBeenCalled();
    });

    it('answers a JSON body with 415 unsupported_media_type', async () => {
      const params = { MessageSid: MESSAGE_SID, MessageStatus: 'delivered' };
      const res = await app()
        .http()
        .post(RECEIPTS.twilio)
        .set('X-Twilio-Signature', twilioSignature(twilio.authToken, params))
        .send(params);

      expectProblem(res, 415, 'unsupported_media_type');
      expect(record()).not.toHaveBeenCalled();
    });

    it("answers the gateway's route with 404 not_found", async () => {
      const body = JSON.stringify({ message_id: 'msg_1', status: 'delivered' });
      const res = await app()
        .http()
        .post(RECEIPTS.webhook)
        .set('Content-Type', 'application/json')
        .set(webhookHeaders(body))
        .send(body);

      expectProblem(res, 404, 'not_found');
    });

    it('still answers a form on every other route with 415', async () => {
      const res = await app().http().post('/api/auth/send-otp/').set('Content-Type', FORM).send('phone_number=x');

      expectProblem(res, 415, 'unsupported_media_type');
      expect(twilio.requests).toEqual([]);
    });
  });

  describe('from Twilio without TWILIO_STATUS_CALLBACK_URL', () => {
    const app = useTestApp(dialect, () => ({ realSms: true, env: twilioEnv() }));

    it('answers the callback route with 404 not_found: no receipts were asked for', async () => {
      const params = { MessageSid: MESSAGE_SID, MessageStatus: 'delivered' };
      const res = await app()
        .http()
        .post(RECEIPTS.twilio)
        .set('Content-Type', FORM)
        .set('X-Twilio-Signature', twilioSignature(twilio.authToken, params))
        .send(new URLSearchParams(params).toString());

      expectProblem(res, 404, 'not_found');
    });
  });

  describe('under the mock provider', () => {
    const app = useTestApp(dialect);
    const record = spyOnReceipts(app);

    it.each<[string, (t: TestApp) => Promise<Response>]>([
      [
        'Twilio',
        (t) =>
          t.http().post(RECEIPTS.twilio).set('Content-Type', FORM).send(`MessageSid=${MESSAGE_SID}&MessageStatus=sent`),
      ],
      ['the gateway', (t) => t.http().post(RECEIPTS.webhook).send({ message_id: 'msg_1', status: 'sent' })],
    ])("answers %s's receipt route with 404 not_found", async (_case, call) => {
      expectProblem(await call(app()), 404, 'not_found');
      expect(record()).not.toHaveBeenCalled();
    });

    it.each([
      ['/api/auth/send-otp/', 'phone_number=%2B12015550142'],
      ['/api/auth/verify-otp/', 'phone_number=%2B12015550142&otp_code=123456'],
      ['/api/auth/token/refresh/', 'refresh=abc'],
      ['/api/auth/logout/', 'refresh=abc'],
    ])('still answers a form posted to %s with 415 unsupported_media_type', async (path, body) => {
      const t = app();
      const res = await t.http().post(path).set('Content-Type', FORM).send(body);

      expectProblem(res, 415, 'unsupported_media_type');
      expect(t.sms.sent).toEqual([]);
    });

    it('answers a form posted to an unknown route with 404, as before', async () => {
      expectProblem(await app().http().post('/api/nope/').set('Content-Type', FORM).send('a=1'), 404, 'not_found');
    });
  });
});

const withRedis = backends().filter((backend) => backend.endsWith('+redis'));
const fleet = withRedis.length ? describe.each(withRedis) : describe.skip.each<Backend>(['sqlite+redis']);

fleet('delivery receipts on two instances sharing Redis (%s)', (backend) => {
  const prefix = uniqueRedisPrefix();
  const env = () => ({
    SMS_PROVIDER: 'webhook',
    SMS_WEBHOOK_URL: 'http://127.0.0.1:9/sms',
    SMS_WEBHOOK_SECRET: WEBHOOK_SECRET,
    REDIS_URL: testRedisUrl(),
    REDIS_KEY_PREFIX: prefix,
  });
  const first = useTestApp(backend, () => ({ realSms: true, env: env() }));
  const second = useTestApp(backend, () => ({ realSms: true, env: env() }));
  afterAll(() => deleteRedisPrefix(prefix));

  it('refuses on one instance a receipt the other already took', async () => {
    const body = JSON.stringify({ message_id: 'msg_fleet', status: 'delivered' });
    const headers = webhookHeaders(body);
    const post = (t: TestApp) =>
      t.http().post(RECEIPTS.webhook).set('Content-Type', 'application/json').set(headers).send(body);

    expect((await post(first())).status).toBe(204);
    expectProblem(await post(second()), 401, 'unauthorized');
  });
});
