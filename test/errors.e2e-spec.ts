import type { Response } from 'supertest';
import { dialects } from './helpers/databases';
import { latestOtpRow, otpRows, userRows } from './helpers/db-rows';
import { expectProblem, expectProblemShape, expectRateLimited } from './helpers/problems';
import { requestCode, signIn, wrongCode } from './helpers/sign-in';
import { createTestApp, type TestApp } from './helpers/test-app';
import { UsersService } from '../src/users/users.service';

const SEND = '/api/auth/send-otp/';
const VERIFY = '/api/auth/verify-otp/';
const PROFILE = '/api/auth/profile/';

const json = (value: unknown) => JSON.stringify(value);

/**
 * Bodies no client should send, as raw JSON text. None is a valid send-otp or verify-otp body,
 * so each must be answered with a 4xx problem, never a 5xx.
 */
const HOSTILE_BODIES: [string, string][] = [
  ['phone_number nested 5000 arrays deep', `{"phone_number":${'['.repeat(5000)}${']'.repeat(5000)}}`],
  [
    'an extra field nested 2500 objects deep',
    `{"phone_number":"+12015550123","x":${'{"a":'.repeat(2500)}1${'}'.repeat(2500)}}`,
  ],
  ['a body nested 5000 arrays deep', `${'['.repeat(5000)}${']'.repeat(5000)}`],
  ['phone_number as a number beyond double range', '{"phone_number":1e400}'],
  ['phone_number as a 30-digit integer', '{"phone_number":123456789012345678901234567890}'],
  ['phone_number as a negative number', '{"phone_number":-12015550123}'],
  ['a __proto__ key', '{"__proto__":{"phone_number":"+12015550123"}}'],
  ['a nested __proto__ key', '{"phone_number":"+12015550123","x":{"__proto__":{"admin":true}}}'],
  ['a constructor.prototype key', '{"phone_number":"+12015550123","constructor":{"prototype":{"admin":true}}}'],
  ['a constructor key', '{"phone_number":"+12015550123","constructor":"x"}'],
  ['a hasOwnProperty key', '{"phone_number":"+12015550123","hasOwnProperty":1}'],
  ['a 10 000-character phone_number', json({ phone_number: 'x'.repeat(10_000) })],
  ['a 33-digit phone_number', json({ phone_number: `+1${'2'.repeat(31)}` })],
  ['an emoji phone_number', json({ phone_number: '📞📞📞' })],
  ['an emoji otp_code', json({ phone_number: '+12015550123', otp_code: '😀😀😀' })],
  ['a null phone_number', '{"phone_number":null}'],
  ['a null otp_code', '{"phone_number":"+12015550123","otp_code":null}'],
  ['an array phone_number', '{"phone_number":["+12015550123"]}'],
  ['an array otp_code', '{"phone_number":"+12015550123","otp_code":["123456"]}'],
  ['a boolean phone_number', '{"phone_number":true}'],
  ['an operator object as phone_number', '{"phone_number":{"$gt":""}}'],
  ['an object otp_code', '{"phone_number":"+12015550123","otp_code":{"toString":"123456"}}'],
  ['a duplicated phone_number whose last value is a number', '{"phone_number":"+12015550123","phone_number":12}'],
  [
    'a duplicated otp_code whose last value has a letter',
    '{"phone_number":"+12015550123","otp_code":"123456","otp_code":"12a456"}',
  ],
  ['an otp_code padded with spaces', json({ phone_number: '+12015550123', otp_code: ' 123456 ' })],
  ['an otp_code in exponent notation', json({ phone_number: '+12015550123', otp_code: '1e5' })],
  ['an otp_code in full-width digits', json({ phone_number: '+12015550123', otp_code: '１２３４５６' })],
  ['an otp_code in Arabic-Indic digits', json({ phone_number: '+12015550123', otp_code: '١٢٣٤٥٦' })],
  ['an 11-digit otp_code', json({ phone_number: '+12015550123', otp_code: '12345678901' })],
  ['an empty otp_code', json({ phone_number: '+12015550123', otp_code: '' })],
  ['an otp_code with a trailing newline', json({ phone_number: '+12015550123', otp_code: '123456\n' })],
  ['an empty phone_number', json({ phone_number: '' })],
  ['a blank phone_number', json({ phone_number: '   ' })],
  ['a lone +', json({ phone_number: '+' })],
  ['a double +', json({ phone_number: '++12015550123' })],
  ['digits and spaces without a country code', json({ phone_number: ' 2 0 1 5 5 5 0 1 2 3 ' })],
  ['a NUL inside phone_number', json({ phone_number: '+1201555\u00000123' })],
  ['a right-to-left override in phone_number', json({ phone_number: '\u202e+12015550123' })],
  ['a lone surrogate in phone_number', '{"phone_number":"\\ud800"}'],
  ['an unassigned country code', json({ phone_number: '+999 1234 5678' })],
  ['a JSON string body', json('+12015550123')],
  ['a JSON number body', '12015550123'],
  ['a JSON true body', 'true'],
  ['a JSON null body', 'null'],
  ['an empty array body', '[]'],
  ['an empty object body', '{}'],
  ['an array of valid bodies', json([{ phone_number: '+12015550123' }])],
  ['an upper-case field name', json({ PHONE_NUMBER: '+12015550123' })],
  ['a 5000-character field name', json({ ['k'.repeat(5000)]: 1 })],
  ['500 unknown fields', json(Object.fromEntries(Array.from({ length: 500 }, (_, i) => [`f${i}`, i])))],
  ['NaN', '{"phone_number":NaN}'],
  ['a trailing comma', '{"phone_number":"+12015550123",}'],
  ['a byte-order mark before an invalid body', '\ufeff{"phone_number":12}'],
];

describe.each(dialects())('errors on %s', (dialect) => {
  describe('with the default settings', () => {
    let t: TestApp;
    let access: string;
    beforeAll(async () => {
      t = await createTestApp(dialect);
      ({
        tokens: { access },
      } = await signIn(t, '+12015550170'));
    });
    afterAll(() => t?.close());

    const postRaw = (path: string, body: string) => t.http().post(path).type('json').send(body);

    it.each([
      ['malformed JSON', '{"phone_number": "+12015550123"'],
      ['an empty JSON body', ''],
      ['an empty JSON object', '{}'],
      ['a JSON array', '["+12015550123"]'],
      ['JSON null', 'null'],
      ['a JSON string', '"+12015550123"'],
      ['a number phone_number', '{"phone_number": 12015550123}'],
    ])('answers %s with 400 validation_failed', async (_label, body) => {
      const sentBefore = t.sms.attempted.length;

      const res = await postRaw(SEND, body);

      expectProblem(res, 400, 'validation_failed');
      expect(t.sms.attempted.length).toBe(sentBefore);
    });

    it('names an unknown field in errors[]', async () => {
      const res = await t.http().post(SEND).send({ phone_number: '+12015550171', is_admin: true });

      expectProblem(res, 400, 'validation_failed');
      expect(res.body.errors).toEqual([{ field: 'is_admin', message: expect.any(String) }]);
      expect(t.sms.countFor('+12015550171')).toBe(0);
    });

    it('names a wrongly typed field in errors[]', async () => {
      const res = await t.http().post(SEND).send({ phone_number: 12015550171 });

      expectProblem(res, 400, 'validation_failed');
      expect(res.body.errors).toEqual([{ field: 'phone_number', message: expect.any(String) }]);
    });

    it('names a missing otp_code in errors[]', async () => {
      const res = await t.http().post(VERIFY).send({ phone_number: '+12015550172' });

      expectProblem(res, 400, 'validation_failed');
      expect(res.body.errors).toEqual([{ field: 'otp_code', message: expect.any(String) }]);
    });

    it.each(['12345a', 'abcdef', '١٢٣٤٥٦', '12 456', '-12345'])(
      'refuses the otp_code %j with 400 validation_failed without spending an attempt',
      async (otpCode) => {
        await requestCode(t, '+12015550173');

        const res = await t.http().post(VERIFY).send({ phone_number: '+12015550173', otp_code: otpCode });

        expectProblem(res, 400, 'validation_failed');
        expect(res.body.errors).toEqual([{ field: 'otp_code', message: expect.any(String) }]);
        expect(await latestOtpRow(t.db, '+12015550173')).toMatchObject({ attempts: 0 });
      },
    );

    it.each([
      ['text/plain', 'text/plain', '+12015550174', '{"phone_number":"+12015550174"}'],
      ['form-urlencoded', 'application/x-www-form-urlencoded', '+12015550176', 'phone_number=%2B12015550176'],
      ['XML', 'application/xml', '+12015550177', '<phone_number>+12015550177</phone_number>'],
      [
        'multipart',
        'multipart/form-data; boundary=x',
        '+12015550178',
        '--x\r\nContent-Disposition: form-data; name="phone_number"\r\n\r\n+12015550178\r\n--x--',
      ],
    ])(
      'answers a %s body with 415 unsupported_media_type and sends nothing',
      async (_label, contentType, phone, body) => {
        const res = await t.http().post(SEND).set('Content-Type', contentType).send(body);

        expectProblem(res, 415, 'unsupported_media_type');
        expect(t.sms.countFor(phone)).toBe(0);
        expect(await otpRows(t.db, phone)).toEqual([]);
      },
    );

    it.each([
      ['GET', '/api/nope'],
      ['POST', '/api/auth/nope/'],
      ['GET', '/'],
    ])('answers %s %s, an unknown route, with 404 not_found', async (method, path) => {
      const res = await t.http()[method === 'GET' ? 'get' : 'post'](path);

      expectProblem(res, 404, 'not_found');
    });

    it.each<[string, (app: TestApp) => Promise<Response>]>([
      ['GET send-otp', (app) => app.http().get(SEND)],
      ['PUT verify-otp', (app) => app.http().put(VERIFY).send({})],
      ['DELETE profile', (app) => app.http().delete(PROFILE)],
    ])('answers %s, a wrong method, with a 4xx problem', async (_label, call) => {
      const res = await call(t);

      expect([404, 405]).toContain(res.status);
      expectProblemShape(res);
    });

    it('reports the path as instance, without the query string', async () => {
      const res = await t.http().post('/api/auth/send-otp/?debug=1').send({ phone_number: 'oops' });

      expectProblem(res, 400, 'invalid_phone_number');
      expect(res.body.instance).toBe('/api/auth/send-otp/');
    });

    it.each([
      ["the seed's sample +1234567890", '+1234567890'],
      ['letters in the number', '+1201555CALL'],
      ['a number too short for its country', '+1201555'],
      ['a number too long for its country', '+120155501234'],
    ])('refuses %s with 400 invalid_phone_number on both routes', async (_label, phoneNumber) => {
      const sentBefore = t.sms.attempted.length;

      const send = await t.http().post(SEND).send({ phone_number: phoneNumber });
      const verify = await t.http().post(VERIFY).send({ phone_number: phoneNumber, otp_code: '123456' });

      expectProblem(send, 400, 'invalid_phone_number');
      expect(send.body.errors).toEqual([{ field: 'phone_number', message: expect.any(String) }]);
      expectProblem(verify, 400, 'invalid_phone_number');
      expect(t.sms.attempted.length).toBe(sentBefore);
    });

    it.each(HOSTILE_BODIES)('answers %s with a 4xx problem on every route, never a 5xx', async (_label, body) => {
      const sentBefore = t.sms.attempted.length;

      const send = await postRaw(SEND, body);
      const verify = await postRaw(VERIFY, body);
      // A hostile body may still be a harmless profile update (or ignored on GET); it must not be a 5xx.
      const patch = await t.http().patch(PROFILE).set('Authorization', `Bearer ${access}`).type('json').send(body);
      const get = await t.http().get(PROFILE).set('Authorization', `Bearer ${access}`).type('json').send(body);

      for (const res of [send, verify]) {
        expect(res.status).toBeGreaterThanOrEqual(400);
        expect(res.status).toBeLessThan(500);
        expectProblemShape(res);
      }
      for (const res of [patch, get]) {
        expect(res.status).toBeLessThan(500);
        if (res.status >= 400) expectProblemShape(res);
      }
      expect(t.sms.attempted.length).toBe(sentBefore);
    });
  });

  describe('with BODY_LIMIT=1kb', () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await createTestApp(dialect, { env: { BODY_LIMIT: '1kb' } });
    });
    afterAll(() => t?.close());

    it('answers a body over the limit with 413 payload_too_large and sends nothing', async () => {
      const body = json({ phone_number: '+12015550175', padding: 'x'.repeat(1100) });

      const res = await t.http().post(SEND).type('json').send(body);

      expectProblem(res, 413, 'payload_too_large');
      expect(t.sms.attempted).toEqual([]);
    });

    it('still reads a body just under the limit', async () => {
      const body = json({ phone_number: '+12015550175', padding: 'x'.repeat(900) });

      const res = await t.http().post(SEND).type('json').send(body);

      expectProblem(res, 400, 'validation_failed');
      expect(res.body.errors).toEqual([{ field: 'padding', message: expect.any(String) }]);
    });
  });

  describe('with THROTTLE_LIMIT=3', () => {
    let t: TestApp;
    beforeEach(async () => {
      t = await createTestApp(dialect, { env: { THROTTLE_LIMIT: '3', THROTTLE_TTL: '60s' } });
    });
    afterEach(() => t?.close());

    it.each<[string, (app: TestApp, n: number) => Promise<Response>]>([
      [
        'send-otp',
        (app, n) =>
          app
            .http()
            .post(SEND)
            .send({ phone_number: `+1201555018${n}` }),
      ],
      [
        'verify-otp',
        (app, n) =>
          app
            .http()
            .post(VERIFY)
            .send({ phone_number: `+1201555018${n}`, otp_code: '123456' }),
      ],
      ['profile', (app) => app.http().get(PROFILE)],
    ])('answers the 4th %s request in the window with 429 rate_limited and Retry-After', async (_label, call) => {
      for (let n = 1; n <= 3; n++) expect((await call(t, n)).status).not.toBe(429);

      const fourth = await call(t, 4);

      expectRateLimited(fourth, 60);
      expect(t.sms.countFor('+12015550184')).toBe(0);
    });

    it('counts requests across the whole API, not per route', async () => {
      await t.http().post(SEND).send({ phone_number: '+12015550185' });
      await t.http().post(VERIFY).send({ phone_number: '+12015550185', otp_code: '123456' });
      await t.http().get(PROFILE);

      const fourth = await t.http().post(SEND).send({ phone_number: '+12015550186' });

      expectRateLimited(fourth, 60);
      expect(t.sms.countFor('+12015550186')).toBe(0);
    });
  });

  describe('with OTP_IP_SEND_LIMIT=2', () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await createTestApp(dialect, { env: { OTP_IP_SEND_LIMIT: '2', OTP_IP_SEND_WINDOW: '1h' } });
    });
    afterAll(() => t?.close());

    it('answers the 3rd send-otp from one IP with 429 and sends no SMS, while verify-otp still works', async () => {
      const code = await requestCode(t, '+12015550187');
      await requestCode(t, '+12015550188');

      const third = await t.http().post(SEND).send({ phone_number: '+12015550189' });

      expectRateLimited(third, 3600);
      expect(t.sms.attempted).toHaveLength(2);
      expect(await otpRows(t.db, '+12015550189')).toEqual([]);
      await t.http().post(VERIFY).send({ phone_number: '+12015550187', otp_code: code }).expect(200);
    });
  });

  describe('with OTP_IP_VERIFY_LIMIT=2', () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await createTestApp(dialect, { env: { OTP_IP_VERIFY_LIMIT: '2', OTP_IP_VERIFY_WINDOW: '5m' } });
    });
    afterAll(() => t?.close());

    it('answers the 3rd verify-otp from one IP with 429 even for the right code, while send-otp still works', async () => {
      const code = await requestCode(t, '+12015550190');
      for (let guess = 1; guess <= 2; guess++) {
        const res = await t
          .http()
          .post(VERIFY)
          .send({ phone_number: '+12015550190', otp_code: wrongCode(code) });
        expectProblem(res, 400, 'otp_invalid');
      }

      const third = await t.http().post(VERIFY).send({ phone_number: '+12015550190', otp_code: code });

      expectRateLimited(third, 300);
      expect(await latestOtpRow(t.db, '+12015550190')).toMatchObject({ attempts: 2, consumed_at: null });
      expect(await userRows(t.db, '+12015550190')).toEqual([]);
      await requestCode(t, '+12015550191');
    });
  });

  describe('when a service fails unexpectedly', () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await createTestApp(dialect, {
        override: (builder) =>
          builder.overrideProvider(UsersService).useValue({
            signIn: () => Promise.reject(new Error('db password is hunter2')),
            getProfile: () => Promise.reject(new Error('db password is hunter2')),
          }),
      });
    });
    afterAll(() => t?.close());

    it('answers 500 internal_error with no message, stack or internals', async () => {
      const code = await requestCode(t, '+12015550192');

      const res = await t.http().post(VERIFY).send({ phone_number: '+12015550192', otp_code: code });

      expectProblem(res, 500, 'internal_error');
      expect(res.text).not.toMatch(/hunter2|Error|stack|\.ts:\d+|\bat \w/);
      expect(res.body.errors).toBeUndefined();
    });
  });
});
