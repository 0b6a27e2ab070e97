import type { Response } from 'supertest';
import { ROUTES } from './helpers/api-client';
import { dialects } from './helpers/databases';
import { latestOtpRow, otpRows, userRows } from './helpers/db-rows';
import { expectProblem, expectProblemShape, expectRateLimited } from './helpers/problems';
import { guessWrong, requestCode, signIn } from './helpers/sign-in';
import { useTestApp, type TestApp } from './helpers/test-app';
import { UsersService } from '../src/users/users.service';

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
    const app = useTestApp(dialect);
    let access: string;
    beforeAll(async () => {
      ({
        tokens: { access },
      } = await signIn(app(), '+12015550170'));
    });

    const postRaw = (path: string, body: string) => app().http().post(path).type('json').send(body);

    it.each([
      ['malformed JSON', '{"phone_number": "+12015550123"'],
      ['an empty JSON body', ''],
      ['an empty JSON object', '{}'],
      ['a JSON array', '["+12015550123"]'],
      ['JSON null', 'null'],
      ['a JSON string', '"+12015550123"'],
      ['a number phone_number', '{"phone_number": 12015550123}'],
    ])('answers %s with 400 validation_failed', async (_label, body) => {
      const sentBefore = app().sms.attempted.length;

      const res = await postRaw(ROUTES.sendOtp, body);

      expectProblem(res, 400, 'validation_failed');
      expect(app().sms.attempted.length).toBe(sentBefore);
    });

    it('names an unknown field in errors[]', async () => {
      const t = app();
      const res = await t.api.sendOtp('+12015550171', { is_admin: true });

      expectProblem(res, 400, 'validation_failed');
      expect(res.body.errors).toEqual([{ field: 'is_admin', message: expect.any(String) }]);
      expect(t.sms.countFor('+12015550171')).toBe(0);
    });

    it('names a wrongly typed field in errors[]', async () => {
      const res = await app().http().post(ROUTES.sendOtp).send({ phone_number: 12015550171 });

      expectProblem(res, 400, 'validation_failed');
      expect(res.body.errors).toEqual([{ field: 'phone_number', message: expect.any(String) }]);
    });

    it('names a missing otp_code in errors[]', async () => {
      const res = await app().http().post(ROUTES.verifyOtp).send({ phone_number: '+12015550172' });

      expectProblem(res, 400, 'validation_failed');
      expect(res.body.errors).toEqual([{ field: 'otp_code', message: expect.any(String) }]);
    });

    it.each(['12345a', 'abcdef', '١٢٣٤٥٦', '12 456', '-12345'])(
      'refuses the otp_code %j with 400 validation_failed without spending an attempt',
      async (otpCode) => {
        const t = app();
        await requestCode(t, '+12015550173');

        const res = await t.api.verifyOtp('+12015550173', otpCode);

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
        const t = app();
        const res = await t.http().post(ROUTES.sendOtp).set('Content-Type', contentType).send(body);

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
      const res = await app().http()[method === 'GET' ? 'get' : 'post'](path);

      expectProblem(res, 404, 'not_found');
    });

    it.each<[string, (t: TestApp) => Promise<Response>]>([
      ['GET send-otp', (t) => t.http().get(ROUTES.sendOtp)],
      ['PUT verify-otp', (t) => t.http().put(ROUTES.verifyOtp).send({})],
      ['DELETE profile', (t) => t.http().delete(ROUTES.profile)],
    ])('answers %s, a wrong method, with a 4xx problem', async (_label, call) => {
      const res = await call(app());

      expect([404, 405]).toContain(res.status);
      expectProblemShape(res);
    });

    it.each([
      ['a path segment that does not decode', '/api/auth/sessions/%zz/'],
      ['an id longer than the router takes', `/api/auth/sessions/${'a'.repeat(200)}/`],
    ])('answers %s with a 404 problem, not the router’s own JSON', async (_label, path) => {
      const { tokens } = await signIn(app(), '+12015550190');
      const res = await app().http().delete(path).set('Authorization', `Bearer ${tokens.access}`);

      expectProblem(res, 404, 'not_found');
    });

    it('reports the path as instance, without the query string', async () => {
      const res = await app().http().post(`${ROUTES.sendOtp}?debug=1`).send({ phone_number: 'oops' });

      expectProblem(res, 400, 'invalid_phone_number');
      expect(res.body.instance).toBe(ROUTES.sendOtp);
    });

    it.each([
      ["the seed's sample +1234567890", '+1234567890'],
      ['letters in the number', '+1201555CALL'],
      ['a number too short for its country', '+1201555'],
      ['a number too long for its country', '+120155501234'],
    ])(
      'refuses %s with 400 invalid_phone_number on both routes, sending and storing nothing',
      async (_label, phoneNumber) => {
        const t = app();
        const sentBefore = t.sms.attempted.length;

        const send = await t.api.sendOtp(phoneNumber);
        const verify = await t.api.verifyOtp(phoneNumber, '123456');

        expectProblem(send, 400, 'invalid_phone_number');
        expect(send.body.errors).toEqual([{ field: 'phone_number', message: expect.any(String) }]);
        expectProblem(verify, 400, 'invalid_phone_number');
        expect(t.sms.attempted.length).toBe(sentBefore);
        expect(await otpRows(t.db, phoneNumber)).toEqual([]);
      },
    );

    it.each(HOSTILE_BODIES)('answers %s with a 4xx problem on every route, never a 5xx', async (_label, body) => {
      const t = app();
      const sentBefore = t.sms.attempted.length;

      const send = await postRaw(ROUTES.sendOtp, body);
      const verify = await postRaw(ROUTES.verifyOtp, body);
      // A hostile body may still be a harmless profile update (or ignored on GET); it must not be a 5xx.
      const patch = await t
        .http()
        .patch(ROUTES.profile)
        .set('Authorization', `Bearer ${access}`)
        .type('json')
        .send(body);
      const get = await t.api.profile(access).type('json').send(body);

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
    const app = useTestApp(dialect, { env: { BODY_LIMIT: '1kb' } });

    it('answers a body over the limit with 413 payload_too_large and sends nothing', async () => {
      const t = app();
      const body = json({ phone_number: '+12015550175', padding: 'x'.repeat(1100) });

      const res = await t.http().post(ROUTES.sendOtp).type('json').send(body);

      expectProblem(res, 413, 'payload_too_large');
      expect(t.sms.attempted).toEqual([]);
    });

    it('still reads a body just under the limit', async () => {
      const body = json({ phone_number: '+12015550175', padding: 'x'.repeat(900) });

      const res = await app().http().post(ROUTES.sendOtp).type('json').send(body);

      expectProblem(res, 400, 'validation_failed');
      expect(res.body.errors).toEqual([{ field: 'padding', message: expect.any(String) }]);
    });
  });

  describe('with THROTTLE_LIMIT=3', () => {
    // A fresh app per test, so that each starts with the whole global budget.
    const app = useTestApp(dialect, { env: { THROTTLE_LIMIT: '3', THROTTLE_TTL: '60s' } }, 'test');

    it.each<[string, (t: TestApp, n: number) => Promise<Response>]>([
      ['send-otp', (t, n) => t.api.sendOtp(`+1201555018${n}`)],
      ['verify-otp', (t, n) => t.api.verifyOtp(`+1201555018${n}`, '123456')],
      ['profile', (t) => t.api.profile()],
    ])('answers the 4th %s request in the window with 429 rate_limited and Retry-After', async (_label, call) => {
      const t = app();
      for (let n = 1; n <= 3; n++) expect((await call(t, n)).status).not.toBe(429);

      const fourth = await call(t, 4);

      expectRateLimited(fourth, 60);
      expect(t.sms.countFor('+12015550184')).toBe(0);
    });

    it('counts requests across the whole API, not per route', async () => {
      const t = app();
      await t.api.sendOtp('+12015550185');
      await t.api.verifyOtp('+12015550185', '123456');
      await t.api.profile();

      const fourth = await t.api.sendOtp('+12015550186');

      expectRateLimited(fourth, 60);
      expect(t.sms.countFor('+12015550186')).toBe(0);
    });
  });

  describe('with OTP_IP_VERIFY_LIMIT=2', () => {
    const app = useTestApp(dialect, { env: { OTP_IP_VERIFY_LIMIT: '2', OTP_IP_VERIFY_WINDOW: '5m' } });

    it('answers the 3rd verify-otp from one IP with 429 even for the right code, while send-otp still works', async () => {
      const t = app();
      const code = await requestCode(t, '+12015550190');
      await guessWrong(t, '+12015550190', code, 2);

      const third = await t.api.verifyOtp('+12015550190', code);

      expectRateLimited(third, 300);
      expect(await latestOtpRow(t.db, '+12015550190')).toMatchObject({ attempts: 2, consumedAt: null });
      expect(await userRows(t.db, '+12015550190')).toEqual([]);
      await requestCode(t, '+12015550191');
    });
  });

  describe('when a service fails unexpectedly', () => {
    const app = useTestApp(dialect, {
      override: (builder) =>
        builder.overrideProvider(UsersService).useValue({
          signIn: () => Promise.reject(new Error('db password is hunter2')),
          getProfile: () => Promise.reject(new Error('db password is hunter2')),
        }),
    });

    it('answers 500 internal_error with no message, stack or internals', async () => {
      const t = app();
      const code = await requestCode(t, '+12015550192');

      const res = await t.api.verifyOtp('+12015550192', code);

      expectProblem(res, 500, 'internal_error');
      expect(res.text).not.toMatch(/hunter2|Error|stack|\.ts:\d+|\bat \w/);
      expect(res.body.errors).toBeUndefined();
    });
  });
});
