import { createHash } from 'node:crypto';
import { dialects } from './helpers/databases';
import { expireLatestCode, latestOtpRow, otpRows, userRows } from './helpers/db-rows';
import { expectProblem } from './helpers/problems';
import { requestCode, signIn, wrongCode } from './helpers/sign-in';
import { createTestApp, type TestApp } from './helpers/test-app';

const SEND = '/api/auth/send-otp/';
const VERIFY = '/api/auth/verify-otp/';
const PROFILE = '/api/auth/profile/';
const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;
const JWT = /^[\w-]+\.[\w-]+\.[\w-]+$/;

describe.each(dialects())('auth flow on %s', (dialect) => {
  describe('with the default settings', () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await createTestApp(dialect);
    });
    afterAll(() => t?.close());
    afterEach(() => {
      if (t) t.sms.failing = false;
    });

    it('texts a code and answers with the seed body, the number in E.164 and a 5-minute lifetime', async () => {
      const before = Date.now();
      const res = await t.http().post(SEND).send({ phone_number: '+12015550110' }).expect(200);

      expect(res.headers['content-type']).toMatch(/^application\/json\b/);
      expect(res.body).toEqual({
        message: 'OTP sent successfully',
        phone_number: '+12015550110',
        expires_in_minutes: 5,
        expires_in_seconds: 300,
      });
      expect(t.sms.countFor('+12015550110')).toBe(1);
      expect(t.sms.lastCodeFor('+12015550110')).toMatch(/^\d{6}$/);
      const rows = await otpRows(t.db, '+12015550110');
      expect(rows).toHaveLength(1);
      expect(rows[0]).toMatchObject({ attempts: 0, consumed_at: null, invalidated_at: null });
      expect(rows[0].created_at).toBeGreaterThanOrEqual(before);
      expect(rows[0].created_at).toBeLessThanOrEqual(Date.now());
      expect(rows[0].expires_at - rows[0].created_at).toBe(300_000);
    });

    it('stores the code only as a 64-hex keyed hash: its digits appear nowhere in the row', async () => {
      const code = await requestCode(t, '+12015550111');
      const row = await latestOtpRow(t.db, '+12015550111');

      expect(row.code_hash).toMatch(/^[0-9a-f]{64}$/);
      expect(Object.values(row).map(String).join('|')).not.toContain(code);
      // A bare SHA-256 of a 6-digit code is reversed by trying a million candidates; an HMAC is not.
      for (const unkeyed of [code, `+12015550111${code}`, `+12015550111:${code}`]) {
        expect(row.code_hash).not.toBe(createHash('sha256').update(unkeyed).digest('hex'));
      }
    });

    it('signs a new user in with the seed body, and the profile shows the same user', async () => {
      const code = await requestCode(t, '+12015550112');
      const before = Date.now();
      const res = await t.http().post(VERIFY).send({ phone_number: '+12015550112', otp_code: code }).expect(200);

      expect(res.body).toEqual({
        message: 'Authentication successful',
        user: {
          id: expect.any(Number),
          phone_number: '+12015550112',
          username: '+12015550112',
          first_name: '',
          last_name: '',
          is_phone_verified: true,
          date_joined: expect.stringMatching(ISO_UTC),
        },
        tokens: { access: expect.stringMatching(JWT), refresh: expect.stringMatching(JWT) },
        is_new_user: true,
      });
      const { user, tokens } = res.body;
      expect(Number.isInteger(user.id)).toBe(true);
      expect(tokens.access).not.toBe(tokens.refresh);

      const [row] = await userRows(t.db, '+12015550112');
      expect(row).toMatchObject({
        id: user.id,
        username: '+12015550112',
        first_name: '',
        last_name: '',
        is_phone_verified: true,
        is_active: true,
      });
      expect(row.date_joined).toBeGreaterThanOrEqual(before);
      expect(Date.parse(user.date_joined)).toBe(Math.floor(row.date_joined / 1000) * 1000);
      expect(row.last_login).toBeGreaterThanOrEqual(row.date_joined);
      expect(await latestOtpRow(t.db, '+12015550112')).toMatchObject({ consumed_at: expect.any(Number) });

      const profile = await t.http().get(PROFILE).set('Authorization', `Bearer ${tokens.access}`).expect(200);
      expect(profile.body).toEqual({ user });
    });

    it('signs a returning user in with is_new_user false, the same id and a later last_login', async () => {
      const first = await signIn(t, '+12015550113');
      const [before] = await userRows(t.db, '+12015550113');
      const second = await signIn(t, '+12015550113');

      expect(first.is_new_user).toBe(true);
      expect(second.is_new_user).toBe(false);
      expect(second.user).toEqual(first.user);
      const rows = await userRows(t.db, '+12015550113');
      expect(rows).toHaveLength(1);
      expect(rows[0].date_joined).toBe(before.date_joined);
      expect(rows[0].last_login).toBeGreaterThanOrEqual(before.last_login as number);
    });

    it('treats +1 (201) 555-0114 and +12015550114 as one user stored in E.164', async () => {
      const send = await t.http().post(SEND).send({ phone_number: '+1 (201) 555-0114' }).expect(200);
      expect(send.body.phone_number).toBe('+12015550114');
      const code = t.sms.lastCodeFor('+12015550114');
      const first = await t.http().post(VERIFY).send({ phone_number: '+12015550114', otp_code: code }).expect(200);

      const code2 = await requestCode(t, '+12015550114');
      const second = await t
        .http()
        .post(VERIFY)
        .send({ phone_number: '+1 (201) 555-0114', otp_code: code2 })
        .expect(200);

      expect(second.body.is_new_user).toBe(false);
      expect(second.body.user.id).toBe(first.body.user.id);
      expect(second.body.user.phone_number).toBe('+12015550114');
      expect(await userRows(t.db, '+12015550114')).toHaveLength(1);
      expect((await otpRows(t.db, '+12015550114')).map((row) => row.phone_number)).toEqual([
        '+12015550114',
        '+12015550114',
      ]);
    });

    it.each(['(201) 555-0115', '201-555-0115', '2015550115'])(
      'refuses the national-format number %j when PHONE_DEFAULT_REGION is unset',
      async (phoneNumber) => {
        const res = await t.http().post(SEND).send({ phone_number: phoneNumber }).expect(400);

        expectProblem(res, 400, 'invalid_phone_number');
        expect(res.body.errors).toEqual([{ field: 'phone_number', message: expect.any(String) }]);
        expect(t.sms.countFor('+12015550115')).toBe(0);
        expect(await otpRows(t.db, '+12015550115')).toEqual([]);
      },
    );

    it.each([
      ['without', '', '+12015550116'],
      ['with', '/', '+12015550117'],
    ])('answers every route %s a trailing slash', async (_label, slash, phoneNumber) => {
      await t.http().post(`/api/auth/send-otp${slash}`).send({ phone_number: phoneNumber }).expect(200);
      const verify = await t
        .http()
        .post(`/api/auth/verify-otp${slash}`)
        .send({ phone_number: phoneNumber, otp_code: t.sms.lastCodeFor(phoneNumber) })
        .expect(200);
      const profile = await t
        .http()
        .get(`/api/auth/profile${slash}`)
        .set('Authorization', `Bearer ${verify.body.tokens.access}`)
        .expect(200);

      expect(profile.body.user.phone_number).toBe(phoneNumber);
    });

    it('retires the previous code when a new one is sent: the old code fails, the new one works', async () => {
      const oldCode = await requestCode(t, '+12015550118');
      let newCode = await requestCode(t, '+12015550118');
      while (newCode === oldCode) newCode = await requestCode(t, '+12015550118');

      const old = await t.http().post(VERIFY).send({ phone_number: '+12015550118', otp_code: oldCode }).expect(400);
      expectProblem(old, 400, 'otp_invalid');
      await t.http().post(VERIFY).send({ phone_number: '+12015550118', otp_code: newCode }).expect(200);

      const rows = await otpRows(t.db, '+12015550118');
      expect(rows.slice(0, -1).every((row) => row.invalidated_at !== null && row.consumed_at === null)).toBe(true);
      expect(rows[rows.length - 1]).toMatchObject({ invalidated_at: null, consumed_at: expect.any(Number) });
    });

    it('refuses a code that was already used with otp_invalid', async () => {
      const code = await requestCode(t, '+12015550119');
      await t.http().post(VERIFY).send({ phone_number: '+12015550119', otp_code: code }).expect(200);
      const used = await latestOtpRow(t.db, '+12015550119');

      const again = await t.http().post(VERIFY).send({ phone_number: '+12015550119', otp_code: code }).expect(400);

      expectProblem(again, 400, 'otp_invalid');
      expect(await latestOtpRow(t.db, '+12015550119')).toEqual(used);
      expect(await userRows(t.db, '+12015550119')).toHaveLength(1);
    });

    it('answers a never-requested number exactly as it answers a wrong code', async () => {
      const never = await t.http().post(VERIFY).send({ phone_number: '+12015550120', otp_code: '123456' });
      const code = await requestCode(t, '+12015550121');
      const wrong = await t
        .http()
        .post(VERIFY)
        .send({ phone_number: '+12015550121', otp_code: wrongCode(code) });

      expectProblem(never, 400, 'otp_invalid');
      expect(never.body).toEqual(wrong.body);
      expect(never.headers['content-type']).toBe(wrong.headers['content-type']);
      expect(await otpRows(t.db, '+12015550120')).toEqual([]);
      expect(await userRows(t.db, '+12015550120')).toEqual([]);
    });

    it('refuses the right code with otp_expired once its lifetime has passed', async () => {
      const code = await requestCode(t, '+12015550122');
      await expireLatestCode(t.db, '+12015550122');

      const res = await t.http().post(VERIFY).send({ phone_number: '+12015550122', otp_code: code }).expect(400);

      expectProblem(res, 400, 'otp_expired');
      expect(await latestOtpRow(t.db, '+12015550122')).toMatchObject({ consumed_at: null });
      expect(await userRows(t.db, '+12015550122')).toEqual([]);
    });

    it('sends nothing and stores nothing for a number that is not valid', async () => {
      const sentBefore = t.sms.attempted.length;

      const res = await t.http().post(SEND).send({ phone_number: '+1234567890' }).expect(400);

      expectProblem(res, 400, 'invalid_phone_number');
      expect(t.sms.attempted.length).toBe(sentBefore);
      expect(await otpRows(t.db, '+1234567890')).toEqual([]);
    });

    it('lets exactly one of 10 parallel verifications of the right code through', async () => {
      const code = await requestCode(t, '+12015550123');

      const results = await Promise.all(
        Array.from({ length: 10 }, () => t.http().post(VERIFY).send({ phone_number: '+12015550123', otp_code: code })),
      );

      expect(results.map((res) => res.status).filter((status) => status === 200)).toHaveLength(1);
      for (const res of results.filter((r) => r.status !== 200)) {
        expect(['otp_invalid', 'otp_attempts_exceeded']).toContain(res.body.code);
        expectProblem(res, res.body.code === 'otp_invalid' ? 400 : 429, res.body.code);
      }
      expect(await userRows(t.db, '+12015550123')).toHaveLength(1);
      const row = await latestOtpRow(t.db, '+12015550123');
      expect(row.consumed_at).toEqual(expect.any(Number));
      expect(row.attempts).toBeLessThanOrEqual(5);
    });

    it('answers 503 sms_delivery_failed when the SMS fails, and that code can never be redeemed', async () => {
      t.sms.failing = true;
      const res = await t.http().post(SEND).send({ phone_number: '+12015550124' }).expect(503);
      if (t) t.sms.failing = false;

      expectProblem(res, 503, 'sms_delivery_failed');
      expect(t.sms.countFor('+12015550124')).toBe(0);
      const row = await latestOtpRow(t.db, '+12015550124');
      expect(row.invalidated_at).toEqual(expect.any(Number));

      const code = t.sms.lastAttemptedCodeFor('+12015550124');
      const verify = await t.http().post(VERIFY).send({ phone_number: '+12015550124', otp_code: code }).expect(400);
      expectProblem(verify, 400, 'otp_invalid');
      expect(await latestOtpRow(t.db, '+12015550124')).toMatchObject({ consumed_at: null });
      expect(await userRows(t.db, '+12015550124')).toEqual([]);
    });
  });

  describe('with PHONE_DEFAULT_REGION=US', () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await createTestApp(dialect, { env: { PHONE_DEFAULT_REGION: 'US' } });
    });
    afterAll(() => t?.close());

    it.each([
      ['written with the area code in brackets', '(201) 555-0130', '+12015550130'],
      ['written with dashes', '201-555-0131', '+12015550131'],
    ])('accepts a national-format number %s and signs it in under E.164', async (_label, national, e164) => {
      const send = await t.http().post(SEND).send({ phone_number: national }).expect(200);
      expect(send.body.phone_number).toBe(e164);

      const verify = await t
        .http()
        .post(VERIFY)
        .send({ phone_number: national, otp_code: t.sms.lastCodeFor(e164) })
        .expect(200);

      expect(verify.body.user.phone_number).toBe(e164);
      expect(await userRows(t.db, e164)).toHaveLength(1);
    });

    it('still accepts international numbers from other countries', async () => {
      const { user } = await signIn(t, '+447911123456');

      expect(user.phone_number).toBe('+447911123456');
    });
  });

  describe('with OTP_CODE_LENGTH=8', () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await createTestApp(dialect, { env: { OTP_CODE_LENGTH: '8' } });
    });
    afterAll(() => t?.close());

    it('texts 8-digit codes and refuses a 6-digit code with validation_failed without counting it', async () => {
      const code = await requestCode(t, '+12015550140');
      expect(code).toMatch(/^\d{8}$/);

      const short = await t
        .http()
        .post(VERIFY)
        .send({ phone_number: '+12015550140', otp_code: code.slice(0, 6) })
        .expect(400);

      expectProblem(short, 400, 'validation_failed');
      expect(short.body.errors).toEqual([{ field: 'otp_code', message: expect.any(String) }]);
      expect(await latestOtpRow(t.db, '+12015550140')).toMatchObject({ attempts: 0 });
      await t.http().post(VERIFY).send({ phone_number: '+12015550140', otp_code: code }).expect(200);
    });
  });

  describe('with OTP_MAX_ATTEMPTS=3', () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await createTestApp(dialect, { env: { OTP_MAX_ATTEMPTS: '3' } });
    });
    afterAll(() => t?.close());

    it('burns the code after 3 wrong guesses: even the right code then gets otp_attempts_exceeded', async () => {
      const code = await requestCode(t, '+12015550150');
      for (let guess = 1; guess <= 3; guess++) {
        const res = await t
          .http()
          .post(VERIFY)
          .send({ phone_number: '+12015550150', otp_code: wrongCode(code) });
        expectProblem(res, 400, 'otp_invalid');
      }

      const right = await t.http().post(VERIFY).send({ phone_number: '+12015550150', otp_code: code });
      const wrong = await t
        .http()
        .post(VERIFY)
        .send({ phone_number: '+12015550150', otp_code: wrongCode(code) });

      expectProblem(right, 429, 'otp_attempts_exceeded');
      expect(wrong.body).toEqual(right.body);
      expect(await latestOtpRow(t.db, '+12015550150')).toMatchObject({ attempts: 3, consumed_at: null });
      expect(await userRows(t.db, '+12015550150')).toEqual([]);
    });

    it('counts parallel wrong guesses exactly: 10 at once give 3 otp_invalid and 7 otp_attempts_exceeded', async () => {
      const code = await requestCode(t, '+12015550151');

      const results = await Promise.all(
        Array.from({ length: 10 }, () =>
          t
            .http()
            .post(VERIFY)
            .send({ phone_number: '+12015550151', otp_code: wrongCode(code) }),
        ),
      );

      const codes = results.map((res) => res.body.code as string);
      expect(codes.filter((c) => c === 'otp_invalid')).toHaveLength(3);
      expect(codes.filter((c) => c === 'otp_attempts_exceeded')).toHaveLength(7);
      expect(await latestOtpRow(t.db, '+12015550151')).toMatchObject({ attempts: 3, consumed_at: null });
      const right = await t.http().post(VERIFY).send({ phone_number: '+12015550151', otp_code: code });
      expectProblem(right, 429, 'otp_attempts_exceeded');
    });

    it('gives a newly sent code a fresh set of attempts', async () => {
      const burned = await requestCode(t, '+12015550152');
      for (let guess = 1; guess <= 3; guess++) {
        await t
          .http()
          .post(VERIFY)
          .send({ phone_number: '+12015550152', otp_code: wrongCode(burned) })
          .expect(400);
      }

      const code = await requestCode(t, '+12015550152');
      await t.http().post(VERIFY).send({ phone_number: '+12015550152', otp_code: code }).expect(200);

      const [burnedRow, freshRow] = await otpRows(t.db, '+12015550152');
      expect(burnedRow).toMatchObject({ attempts: 3, consumed_at: null });
      expect(freshRow.consumed_at).toEqual(expect.any(Number));
    });
  });
});
