import { randomBytes } from 'node:crypto';
import type { Response } from 'supertest';
import { maskPhone } from '../src/common/phone-number.service';
import { dialects } from './helpers/databases';
import { latestOtpRow } from './helpers/db-rows';
import { FakeTwilio, type TwilioErrorCode, type TwilioRequest } from './helpers/fake-twilio';
import { captureLogs, type LogCapture } from './helpers/log-capture';
import { expectProblem } from './helpers/problems';
import { guessWrong } from './helpers/sign-in';
import { createTestApp, useTestApp, type TestApp, type TestAppOptions } from './helpers/test-app';
import { WebhookReceiver } from './helpers/webhook-receiver';

const APP_NAME = 'Acme';
const FROM = '+12015550199';
const MESSAGING_SERVICE_SID = 'MG' + 'a1'.repeat(16);
const WEBHOOK_SECRET = 'whsec-test-secret-of-reasonable-length';
/** Production refuses low-entropy and shared secrets: two random keys of their own. */
const STRONG = randomBytes(32).toString('base64');
const STRONG_OTHER = randomBytes(32).toString('base64');
const STRONG_THIRD = randomBytes(32).toString('base64');

const english = (code: string) => `Your ${APP_NAME} code is ${code}. It expires in 5 minutes.`;

/** Recipients for one app, each used once: +12015550100 … +12015550198 (FROM is …199). */
function numberPool(): () => string {
  let next = 100;
  return () => {
    if (next > 198) throw new Error('out of test numbers');
    return `+12015550${next++}`;
  };
}

/** The six digits in a texted body. */
function codeIn(body: string): string {
  const match = /(?<!\d)\d{6}(?!\d)/.exec(body);
  if (!match) throw new Error(`no code in ${JSON.stringify(body)}`);
  return match[0];
}

/** The real AppModule with the adapter SMS_PROVIDER selects, instead of the recording fake. */
const withProvider = (env: Record<string, string>): TestAppOptions => ({ realSms: true, env: { APP_NAME, ...env } });

function expectRetryAfter(res: Response): void {
  expect(res.headers['retry-after']).toMatch(/^\d+$/);
  expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
}

/** The code the provider was handed can no longer sign anyone in, and its row says why. */
async function expectCodeUnusable(t: TestApp, phone: string, code: string): Promise<void> {
  expectProblem(await t.api.verifyOtp(phone, code), 400, 'otp_invalid');
  const row = await latestOtpRow(t.db, phone);
  expect(row.invalidatedAt).not.toBeNull();
  expect(row.consumedAt).toBeNull();
}

function errorLogs(logs: LogCapture): string[] {
  return logs.lines.filter((line) => line.startsWith('Logger.error: '));
}

/** No code digits and no unmasked number anywhere in the captured logs. */
function expectNothingSecretIn(logs: LogCapture, codes: string[], phones: string[]): void {
  const text = logs.lines.join('\n');
  expect(codes.length).toBeGreaterThan(0);
  for (const code of codes) expect(text).not.toMatch(new RegExp(`(?<!\\d)${code}(?!\\d)`));
  for (const phone of phones) {
    expect(text).not.toContain(phone);
    expect(text).not.toContain(phone.slice(2));
    expect(text).not.toContain(phone.slice(-7));
  }
}

describe.each(dialects())('SMS providers on %s', (dialect) => {
  let twilio: FakeTwilio;
  let authToken: string;
  let hook: WebhookReceiver;
  const nextPhone = numberPool();

  beforeAll(async () => {
    twilio = await FakeTwilio.start();
    authToken = twilio.authToken;
    hook = await WebhookReceiver.start(WEBHOOK_SECRET);
  });
  afterAll(async () => {
    await twilio?.close();
    await hook?.close();
  });
  afterEach(() => {
    twilio.reset();
    twilio.authToken = authToken;
    hook.reset();
    hook.secret = WEBHOOK_SECRET;
  });

  const twilioEnv = (extra: Record<string, string> = {}) => ({
    SMS_PROVIDER: 'twilio',
    TWILIO_ACCOUNT_SID: twilio.accountSid,
    TWILIO_AUTH_TOKEN: authToken,
    TWILIO_FROM: FROM,
    TWILIO_API_BASE_URL: twilio.url,
    ...extra,
  });
  const verifyEnv = (extra: Record<string, string> = {}) => ({
    SMS_PROVIDER: 'twilio-verify',
    TWILIO_ACCOUNT_SID: twilio.accountSid,
    TWILIO_AUTH_TOKEN: authToken,
    TWILIO_VERIFY_SERVICE_SID: twilio.verifyServiceSid,
    TWILIO_API_BASE_URL: twilio.url,
    ...extra,
  });
  const webhookEnv = (extra: Record<string, string> = {}) => ({
    SMS_PROVIDER: 'webhook',
    SMS_WEBHOOK_URL: hook.url,
    SMS_WEBHOOK_SECRET: WEBHOOK_SECRET,
    ...extra,
  });

  describe('twilio (Programmable Messaging)', () => {
    const app = useTestApp(dialect, () => withProvider(twilioEnv()));

    /** send-otp, then the one request the fake got and the code in its Body. */
    async function send(phone: string): Promise<{ res: Response; request: TwilioRequest; code: string }> {
      const res = await app().api.sendOtp(phone);
      expect(twilio.requests).toHaveLength(1);
      const [request] = twilio.requests;
      return { res, request, code: codeIn(request.form.Body) };
    }

    it('texts the English message from TWILIO_FROM to the number in exactly one authenticated request', async () => {
      const phone = nextPhone();

      const { res, request, code } = await send(phone);

      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ message: 'OTP sent successfully', phone_number: phone, expires_in_minutes: 5 });
      expect(request).toMatchObject({
        method: 'POST',
        path: `/2010-04-01/Accounts/${twilio.accountSid}/Messages.json`,
        username: twilio.accountSid,
        password: authToken,
      });
      expect(request.headers['content-type']).toMatch(/^application\/x-www-form-urlencoded/);
      expect(request.form).toEqual({ To: phone, From: FROM, Body: english(code) });
    });

    it('signs in with the code Twilio delivered, and the stored row is a hash that is now consumed', async () => {
      const phone = nextPhone();
      const { code } = await send(phone);

      const res = await app().api.verifyOtp(phone, code);

      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ message: 'Authentication successful', is_new_user: true });
      const row = await latestOtpRow(app().db, phone);
      expect(row.codeHash).not.toContain(code);
      expect(row.consumedAt).not.toBeNull();
    });

    it.each<[TwilioErrorCode, number, string]>([
      [21211, 400, 'invalid_phone_number'],
      [21614, 400, 'invalid_phone_number'],
      [21408, 400, 'phone_not_allowed'],
      [21610, 400, 'phone_not_allowed'],
      [21612, 400, 'phone_not_allowed'],
    ])('maps Twilio %i to %i %s, sends once and invalidates the code', async (twilioCode, status, problem) => {
      const phone = nextPhone();
      twilio.failNext(twilioCode);

      const { res, code } = await send(phone);

      expectProblem(res, status, problem);
      expect(res.headers['retry-after']).toBeUndefined();
      await expectCodeUnusable(app(), phone, code);
      expect(twilio.requests).toHaveLength(1);
    });

    it.each([
      ['Twilio rejects the auth token (20003)', () => void (twilio.authToken = 'rotated-by-someone-else')],
      ['Twilio answers 20003', () => twilio.failNext(20003)],
      ['Twilio answers a bare HTTP 401', () => twilio.answerNext({ status: 401, body: 'Unauthorized' })],
    ])('answers 503 sms_delivery_failed and logs an error naming TWILIO_AUTH_TOKEN when %s', async (_case, arrange) => {
      const phone = nextPhone();
      arrange();
      const logs = captureLogs();
      let sent: Awaited<ReturnType<typeof send>>;
      try {
        sent = await send(phone);
      } finally {
        logs.restore();
      }

      expectProblem(sent.res, 503, 'sms_delivery_failed');
      expect(errorLogs(logs)).toEqual([expect.stringContaining('TWILIO_AUTH_TOKEN')]);
      await expectCodeUnusable(app(), phone, sent.code);
      expect(twilio.requests).toHaveLength(1);
    });

    it.each([
      ['Twilio 20429', () => twilio.failNext(20429)],
      ['an HTTP 429 without a Twilio body', () => twilio.answerNext({ status: 429, body: '' })],
    ])('answers 503 with Retry-After on %s, without retrying', async (_case, arrange) => {
      const phone = nextPhone();
      arrange();

      const { res, code } = await send(phone);

      expectProblem(res, 503, 'sms_delivery_failed');
      expectRetryAfter(res);
      await expectCodeUnusable(app(), phone, code);
      expect(twilio.requests).toHaveLength(1);
    });

    it.each([
      ['500', () => twilio.failNext(500)],
      ['503', () => twilio.failNext(503)],
      ['a 502 HTML page', () => twilio.answerNext({ status: 502, body: '<html>Bad Gateway</html>' })],
    ])('answers 503 sms_delivery_failed on a provider %s, once, and the code is unusable', async (_case, arrange) => {
      const phone = nextPhone();
      arrange();

      const { res, code } = await send(phone);

      expectProblem(res, 503, 'sms_delivery_failed');
      await expectCodeUnusable(app(), phone, code);
      expect(twilio.requests).toHaveLength(1);
    });

    it('lets the number ask again right after a failed send, and the new code works', async () => {
      const phone = nextPhone();
      twilio.failNext(503);
      const { res: failed } = await send(phone);
      expectProblem(failed, 503, 'sms_delivery_failed');
      twilio.reset();

      const { res, code } = await send(phone);

      expect(res.status).toBe(200);
      await app().api.verifyOtp(phone, code).expect(200);
    });

    describe('languages', () => {
      it.each<[string, { locale?: string }, Record<string, string>, (code: string) => string]>([
        ['locale es', { locale: 'es' }, {}, (c) => `Tu código de Acme es ${c}. Caduca en 5 minutos.`],
        [
          'Accept-Language fr-CA,fr;q=0.9,en;q=0.5',
          {},
          { 'Accept-Language': 'fr-CA,fr;q=0.9,en;q=0.5' },
          (c) => `Votre code Acme est ${c}. Il expire dans 5 minutes.`,
        ],
        ['locale de', { locale: 'de' }, {}, (c) => `Ihr Acme-Code lautet ${c}. Er läuft in 5 Minuten ab.`],
        ['locale pt-BR', { locale: 'pt-BR' }, {}, (c) => `O seu código Acme é ${c}. Expira em 5 minutos.`],
        ['the unsupported locale ja', { locale: 'ja' }, {}, english],
        ['Accept-Language ja', {}, { 'Accept-Language': 'ja' }, english],
        [
          'locale es over Accept-Language de',
          { locale: 'es' },
          { 'Accept-Language': 'de' },
          (c) => `Tu código de Acme es ${c}. Caduca en 5 minutos.`,
        ],
      ])('texts in the right language for %s', async (_case, fields, headers, expected) => {
        const phone = nextPhone();

        await app().api.sendOtp(phone, fields).set(headers).expect(200);

        expect(twilio.requests).toHaveLength(1);
        const body = twilio.requests[0].form.Body;
        expect(body).toBe(expected(codeIn(body)));
      });
    });

    it('keeps the code and the number out of the logs through success, wrong guesses and failures', async () => {
      const phones = [nextPhone(), nextPhone(), nextPhone()];
      const logs = captureLogs(app().app);
      try {
        const { code } = await send(phones[0]);
        await guessWrong(app(), phones[0], code, 1);
        await app().api.verifyOtp(phones[0], code).expect(200);
        twilio.failNext(20429);
        await app().api.sendOtp(phones[1]).expect(503);
        twilio.failNext(21211);
        await app().api.sendOtp(phones[2]).expect(400);
      } finally {
        logs.restore();
      }

      // The capture works: the failure's line is there, with the number masked.
      expect(logs.lines.join('\n')).toContain(`SMS to ${maskPhone(phones[1])} failed`);
      expectNothingSecretIn(
        logs,
        twilio.requests.map((r) => codeIn(r.form.Body)),
        phones,
      );
    });
  });

  describe('twilio with TWILIO_MESSAGING_SERVICE_SID', () => {
    const app = useTestApp(dialect, () =>
      withProvider(twilioEnv({ TWILIO_MESSAGING_SERVICE_SID: MESSAGING_SERVICE_SID })),
    );

    it('sends through the Messaging Service instead of TWILIO_FROM, and the code signs in', async () => {
      const phone = nextPhone();

      await app().api.sendOtp(phone).expect(200);

      expect(twilio.requests).toHaveLength(1);
      const { form } = twilio.requests[0];
      const code = codeIn(form.Body);
      expect(form).toEqual({ To: phone, MessagingServiceSid: MESSAGING_SERVICE_SID, Body: english(code) });
      await app().api.verifyOtp(phone, code).expect(200);
    });
  });

  describe('twilio with SMS_WEBOTP_DOMAIN', () => {
    const app = useTestApp(dialect, () => withProvider(twilioEnv({ SMS_WEBOTP_DOMAIN: 'example.com' })));

    it.each([
      ['English', {}, english],
      ['Spanish', { locale: 'es' }, (c: string) => `Tu código de Acme es ${c}. Caduca en 5 minutos.`],
    ])('appends "@example.com #<code>" as the last line of the %s text', async (_case, fields, text) => {
      const phone = nextPhone();

      await app().api.sendOtp(phone, fields).expect(200);

      const body = twilio.requests[0].form.Body;
      const code = codeIn(body);
      expect(body).toBe(`${text(code)}\n\n@example.com #${code}`);
      expect(body.split('\n').at(-1)).toBe(`@example.com #${code}`);
    });
  });

  describe('twilio with SMS_TIMEOUT=1s', () => {
    const app = useTestApp(dialect, () => withProvider(twilioEnv({ SMS_TIMEOUT: '1s' })));

    it('answers 503 within a few seconds when Twilio hangs, abandons the one request and never resends', async () => {
      const phone = nextPhone();
      twilio.hangNext();
      const started = Date.now();

      const res = await app().api.sendOtp(phone);

      expectProblem(res, 503, 'sms_delivery_failed');
      expect(Date.now() - started).toBeLessThan(5_000);
      expect(twilio.requests).toHaveLength(1);
      // The SDK gives up on the hanging request and closes it; nothing is sent after that.
      await twilio.requests[0].settled;
      expect(twilio.requests).toHaveLength(1);
      await expectCodeUnusable(app(), phone, codeIn(twilio.requests[0].form.Body));
    }, 15_000);
  });

  describe('twilio-verify', () => {
    const app = useTestApp(dialect, () =>
      withProvider(verifyEnv({ OTP_MAX_ATTEMPTS: '3', OTP_RESEND_COOLDOWN: '60s' })),
    );
    const verifications = () => twilio.requestsTo('Verifications');
    const checks = () => twilio.requestsTo('VerificationCheck');

    const verify = (phone: string, code: string) => app().api.verifyOtp(phone, code);

    it.each<[string, { locale?: string }, Record<string, string>, string]>([
      ['no language', {}, {}, 'en'],
      ['locale es', { locale: 'es' }, {}, 'es'],
      ['locale pt-BR', { locale: 'pt-BR' }, {}, 'pt'],
      ['Accept-Language fr-CA,fr;q=0.9,en;q=0.5', {}, { 'Accept-Language': 'fr-CA,fr;q=0.9,en;q=0.5' }, 'fr'],
      ['the unsupported locale ja', { locale: 'ja' }, {}, 'en'],
    ])('send-otp creates one SMS Verification with Locale for %s', async (_case, fields, headers, locale) => {
      const phone = nextPhone();

      const res = await app().api.sendOtp(phone, fields).set(headers);

      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ message: 'OTP sent successfully', phone_number: phone });
      expect(twilio.requests).toHaveLength(1);
      expect(twilio.requests[0]).toMatchObject({
        method: 'POST',
        path: `/v2/Services/${twilio.verifyServiceSid}/Verifications`,
        username: twilio.accountSid,
        password: authToken,
      });
      // Twilio makes the code: ours is never sent.
      expect(twilio.requests[0].form).toEqual({ To: phone, Channel: 'sms', Locale: locale });
    });

    it("signs in with the code Twilio made, asking Twilio's VerificationCheck once", async () => {
      const phone = nextPhone();
      await app().api.sendOtp(phone).expect(200);
      const code = twilio.codeFor(phone);

      const res = await verify(phone, code);

      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ message: 'Authentication successful', is_new_user: true });
      expect(res.body.user.phone_number).toBe(phone);
      expect(checks()).toHaveLength(1);
      expect(checks()[0]).toMatchObject({
        path: `/v2/Services/${twilio.verifyServiceSid}/VerificationCheck`,
        form: { To: phone, Code: code },
      });
      const row = await latestOtpRow(app().db, phone);
      expect(row).toMatchObject({ attempts: 1, invalidatedAt: null });
      expect(row.consumedAt).not.toBeNull();
    });

    it('answers a wrong code with 400 otp_invalid and counts the attempt; the right one still works', async () => {
      const phone = nextPhone();
      await app().api.sendOtp(phone).expect(200);
      const code = twilio.codeFor(phone);

      await guessWrong(app(), phone, code, 1);
      expect((await latestOtpRow(app().db, phone)).attempts).toBe(1);

      await verify(phone, code).expect(200);
      expect(checks()).toHaveLength(2);
    });

    it('burns the code after OTP_MAX_ATTEMPTS wrong guesses: then even the right code gets 429, without asking Twilio', async () => {
      const phone = nextPhone();
      await app().api.sendOtp(phone).expect(200);
      const code = twilio.codeFor(phone);
      await guessWrong(app(), phone, code, 3);

      const right = await verify(phone, code);

      expectProblem(right, 429, 'otp_attempts_exceeded');
      expect(checks()).toHaveLength(3);
      const row = await latestOtpRow(app().db, phone);
      expect(row).toMatchObject({ attempts: 3, consumedAt: null });
    });

    it('keeps the resend cooldown: a second send is refused and Twilio sees one Verification', async () => {
      const phone = nextPhone();
      await app().api.sendOtp(phone).expect(200);

      const res = await app().api.sendOtp(phone);

      expectProblem(res, 429, 'otp_resend_too_soon');
      expectRetryAfter(res);
      expect(verifications()).toHaveLength(1);
    });

    it.each<[TwilioErrorCode | 500, number, string]>([
      [60200, 400, 'invalid_phone_number'],
      [60410, 400, 'phone_not_allowed'],
      [60605, 400, 'phone_not_allowed'],
      [60203, 503, 'sms_delivery_failed'],
      [500, 503, 'sms_delivery_failed'],
    ])(
      'maps Verify %s to %i %s; nothing is redeemable and the cooldown is released',
      async (failure, status, problem) => {
        const phone = nextPhone();
        twilio.failNext(failure);

        const res = await app().api.sendOtp(phone);

        expectProblem(res, status, problem);
        if (failure === 60203) expectRetryAfter(res);
        expect(twilio.requests).toHaveLength(1);
        expect((await latestOtpRow(app().db, phone)).invalidatedAt).not.toBeNull();
        expectProblem(await verify(phone, '123456'), 400, 'otp_invalid');
        expect(checks()).toHaveLength(0);
        // The failed send did not start the 60s cooldown.
        await app().api.sendOtp(phone).expect(200);
      },
    );

    it('answers 503 and logs an error naming TWILIO_VERIFY_SERVICE_SID when Twilio does not know the service (20404)', async () => {
      const phone = nextPhone();
      twilio.failNext(20404);
      const logs = captureLogs();
      let res: Response;
      try {
        res = await app().api.sendOtp(phone);
      } finally {
        logs.restore();
      }

      expectProblem(res, 503, 'sms_delivery_failed');
      expect(errorLogs(logs)).toEqual([expect.stringContaining('TWILIO_VERIFY_SERVICE_SID')]);
    });

    it('treats a 404 from VerificationCheck (nothing pending at Twilio) as otp_invalid and counts the attempt', async () => {
      const phone = nextPhone();
      await app().api.sendOtp(phone).expect(200);
      twilio.failNext(20404);

      const res = await verify(phone, twilio.codeFor(phone));

      expectProblem(res, 400, 'otp_invalid');
      expect(checks()).toHaveLength(1);
      expect((await latestOtpRow(app().db, phone)).attempts).toBe(1);
    });

    it('answers 503 service_unavailable, not otp_invalid, when VerificationCheck fails', async () => {
      const phone = nextPhone();
      await app().api.sendOtp(phone).expect(200);
      twilio.failNext(503);

      const res = await verify(phone, twilio.codeFor(phone));

      expectProblem(res, 503, 'service_unavailable');
      expect(checks()).toHaveLength(1);
    });

    it('keeps the codes Twilio made and the number out of the logs', async () => {
      const phones = [nextPhone(), nextPhone()];
      const logs = captureLogs(app().app);
      try {
        await app().api.sendOtp(phones[0]).expect(200);
        const code = twilio.codeFor(phones[0]);
        await guessWrong(app(), phones[0], code, 1);
        await verify(phones[0], code).expect(200);
        twilio.failNext(60203);
        await app().api.sendOtp(phones[1]).expect(503);
      } finally {
        logs.restore();
      }

      expect(logs.lines.join('\n')).toContain(`SMS to ${maskPhone(phones[1])} failed`);
      expectNothingSecretIn(logs, [twilio.codeFor(phones[0])], phones);
    });
  });

  describe('webhook', () => {
    const app = useTestApp(dialect, () => withProvider(webhookEnv()));

    async function send(phone: string, fields: Record<string, string> = {}, headers: Record<string, string> = {}) {
      const res = await app().api.sendOtp(phone, fields).set(headers);
      expect(hook.received).toHaveLength(1);
      return { res, received: hook.received[0], code: hook.received[0].payload.code };
    }

    it('posts one correctly signed JSON body {type, message_id, channel, to, code, body, locale}, and the code signs in', async () => {
      const phone = nextPhone();

      const { res, received, code } = await send(phone);

      expect(res.status).toBe(200);
      expect(received.signatureValid).toBe(true);
      expect(received.headers['content-type']).toMatch(/^application\/json/);
      expect(received.headers['webhook-id']).toMatch(/^msg_[\w-]+$/);
      expect(Math.abs(Number(received.headers['webhook-timestamp']) - Date.now() / 1000)).toBeLessThan(60);
      expect(received.headers['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/]+=*$/);
      expect(received.payload).toEqual({
        type: 'otp',
        message_id: received.headers['webhook-id'],
        channel: 'sms',
        to: phone,
        code,
        body: english(code),
        locale: 'en',
      });
      expect(code).toMatch(/^\d{6}$/);
      await app().api.verifyOtp(phone, code).expect(200);
    });

    it.each([200, 202])('counts a %i answer as delivered', async (status) => {
      const phone = nextPhone();
      hook.answerNext({ status, body: { id: 'gateway-1' } });

      const { res, code } = await send(phone);

      expect(res.status).toBe(200);
      await app().api.verifyOtp(phone, code).expect(200);
    });

    it('hands the gateway the language and the localised text', async () => {
      const phone = nextPhone();

      const { received, code } = await send(phone, {}, { 'Accept-Language': 'de-AT,de;q=0.9' });

      expect(received.payload).toMatchObject({
        locale: 'de',
        body: `Ihr Acme-Code lautet ${code}. Er läuft in 5 Minuten ab.`,
      });
    });

    it.each([
      ['invalid_phone_number', 'invalid_phone_number'],
      ['phone_not_allowed', 'phone_not_allowed'],
    ])('maps a 422 {code: %s} to 400 %s, once, and the code is unusable', async (refusal, problem) => {
      const phone = nextPhone();
      hook.refuseNext(refusal);

      const { res, code } = await send(phone);

      expectProblem(res, 400, problem);
      await expectCodeUnusable(app(), phone, code);
      expect(hook.received).toHaveLength(1);
    });

    it('answers 503 to a 422 with a code it does not know', async () => {
      const phone = nextPhone();
      hook.refuseNext('carrier_on_strike');

      const { res, code } = await send(phone);

      expectProblem(res, 503, 'sms_delivery_failed');
      await expectCodeUnusable(app(), phone, code);
    });

    it("passes the gateway's 429 Retry-After on with the 503", async () => {
      const phone = nextPhone();
      hook.throttleNext('30');

      const { res, code } = await send(phone);

      expectProblem(res, 503, 'sms_delivery_failed');
      expect(res.headers['retry-after']).toBe('30');
      await expectCodeUnusable(app(), phone, code);
      expect(hook.received).toHaveLength(1);
    });

    it.each([
      ['no Retry-After', undefined],
      ['an HTTP-date Retry-After', new Date(Date.now() + 120_000).toUTCString()],
      ['a fractional Retry-After', '1.5'],
    ])('still answers a 429 with %s by a 503 carrying whole-seconds Retry-After', async (_case, retryAfter) => {
      const phone = nextPhone();
      hook.throttleNext(retryAfter);

      const { res } = await send(phone);

      expectProblem(res, 503, 'sms_delivery_failed');
      expectRetryAfter(res);
    });

    it.each([
      ['the gateway holds another secret (401)', 'SMS_WEBHOOK_SECRET', () => void (hook.secret = 'rotated-secret')],
      ['the gateway answers 403', 'SMS_WEBHOOK_SECRET', () => hook.answerNext({ status: 403 })],
      ['the gateway answers 404', 'SMS_WEBHOOK_URL', () => hook.answerNext({ status: 404 })],
    ])('answers 503 and logs an error naming the setting when %s', async (_case, setting, arrange) => {
      const phone = nextPhone();
      arrange();
      const logs = captureLogs();
      let sent: Awaited<ReturnType<typeof send>>;
      try {
        sent = await send(phone);
      } finally {
        logs.restore();
      }

      expectProblem(sent.res, 503, 'sms_delivery_failed');
      expect(errorLogs(logs)).toEqual([expect.stringContaining(setting)]);
      await expectCodeUnusable(app(), phone, sent.code);
    });

    it('answers 503 to a gateway 500, once', async () => {
      const phone = nextPhone();
      hook.answerNext({ status: 500, body: 'oops' });

      const { res, code } = await send(phone);

      expectProblem(res, 503, 'sms_delivery_failed');
      await expectCodeUnusable(app(), phone, code);
      expect(hook.received).toHaveLength(1);
    });

    it('keeps the code and the number out of the logs', async () => {
      const phones = [nextPhone(), nextPhone()];
      const logs = captureLogs(app().app);
      try {
        await app().api.sendOtp(phones[0]).expect(200);
        await app().api.verifyOtp(phones[0], hook.received[0].payload.code).expect(200);
        hook.answerNext({ status: 500 });
        await app().api.sendOtp(phones[1]).expect(503);
      } finally {
        logs.restore();
      }

      expect(logs.lines.join('\n')).toContain(`SMS to ${maskPhone(phones[1])} failed`);
      expectNothingSecretIn(
        logs,
        hook.received.map((r) => r.payload.code),
        phones,
      );
    });
  });

  describe('webhook with SMS_TIMEOUT=1s', () => {
    const app = useTestApp(dialect, () => withProvider(webhookEnv({ SMS_TIMEOUT: '1s' })));

    it('answers 503 within a few seconds when the gateway hangs, abandons the one request, and the code is unusable', async () => {
      const phone = nextPhone();
      hook.hangNext();
      const started = Date.now();

      const res = await app().api.sendOtp(phone);

      expectProblem(res, 503, 'sms_delivery_failed');
      expect(Date.now() - started).toBeLessThan(5_000);
      expect(hook.received).toHaveLength(1);
      await hook.received[0].settled;
      expect(hook.received).toHaveLength(1);
      await expectCodeUnusable(app(), phone, hook.received[0].payload.code);
    }, 15_000);
  });

  describe('production boot', () => {
    const production = () => ({
      NODE_ENV: 'production',
      JWT_SECRET: STRONG,
      OTP_SECRET: STRONG_OTHER,
      MFA_ENCRYPTION_KEY: STRONG_THIRD,
      ...twilioEnv(),
    });

    it.each(['TWILIO_ACCOUNT_SID', 'TWILIO_AUTH_TOKEN', 'TWILIO_FROM'])(
      'refuses SMS_PROVIDER=twilio without %s, naming it',
      async (variable) => {
        const env: Record<string, string> = production();
        env[variable] = '';

        await expect(createTestApp(dialect, { realSms: true, env })).rejects.toThrow(variable);
      },
    );

    it('starts with complete Twilio settings and texts through Twilio', async () => {
      const t = await createTestApp(dialect, { realSms: true, env: { APP_NAME, ...production() } });
      try {
        const phone = nextPhone();
        await t.api.sendOtp(phone).expect(200);
        expect(twilio.requests).toHaveLength(1);
        expect(twilio.requests[0].form).toMatchObject({ To: phone, From: FROM });
      } finally {
        await t.close();
      }
    });
  });
});
