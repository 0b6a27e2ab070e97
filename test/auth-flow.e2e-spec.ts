import { createHash } from 'node:crypto';
import { ROUTES } from './helpers/api-client';
import { dialects } from './helpers/databases';
import { expireLatestCode, latestOtpRow, otpRows, userRows } from './helpers/db-rows';
import { expectProblem } from './helpers/problems';
import { guessWrong, requestCode, signIn, wrongCode } from './helpers/sign-in';
import { useTestApp } from './helpers/test-app';

const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;
const JWT = /^[\w-]+\.[\w-]+\.[\w-]+$/;

describe.each(dialects())('auth flow on %s', (dialect) => {
  describe('with the default settings', () => {
    const app = useTestApp(dialect);
    afterEach(() => {
      app().sms.failing = false;
    });

    it('texts a code and answers with the seed body, the number in E.164 and a 5-minute lifetime', async () => {
      const t = app();
      const before = Date.now();
      const res = await t.api.sendOtp('+12015550110').expect(200);

      expect(res.headers['content-type']).toMatch(/^application\/json\b/);
      expect(res.body).toEqual({
        message: 'OTP sent successfully',
        phone_number: '+12015550110',
        expires_in_minutes: 5,
        expires_in_seconds: 300,
        channel: 'sms',
      });
      expect(t.sms.countFor('+12015550110')).toBe(1);
      expect(t.sms.lastCodeFor('+12015550110')).toMatch(/^\d{6}$/);
      const rows = await otpRows(t.db, '+12015550110');
      expect(rows).toHaveLength(1);
      expect(rows[0]).toMatchObject({ attempts: 0, consumedAt: null, invalidatedAt: null });
      expect(rows[0].createdAt.getTime()).toBeGreaterThanOrEqual(before);
      expect(rows[0].createdAt.getTime()).toBeLessThanOrEqual(Date.now());
      expect(rows[0].expiresAt.getTime() - rows[0].createdAt.getTime()).toBe(300_000);
    });

    it('stores the code only as a 64-hex keyed hash: its digits appear nowhere in the row', async () => {
      const t = app();
      const code = await requestCode(t, '+12015550111');
      const row = await latestOtpRow(t.db, '+12015550111');

      expect(row.codeHash).toMatch(/^[0-9a-f]{64}$/);
      // Every column as stored: instants as the epoch milliseconds in the row.
      const stored = Object.values(row).map((value) => String(value instanceof Date ? value.getTime() : value));
      expect(stored.join('|')).not.toContain(code);
      // A bare SHA-256 of a 6-digit code is reversed by trying a million candidates; an HMAC is not.
      for (const unkeyed of [code, `+12015550111${code}`, `+12015550111:${code}`]) {
        expect(row.codeHash).not.toBe(createHash('sha256').update(unkeyed).digest('hex'));
      }
    });

    it('signs a new user in with the seed body, and the profile shows the same user', async () => {
      const t = app();
      const code = await requestCode(t, '+12015550112');
      const before = Date.now();
      const res = await t.api.verifyOtp('+12015550112', code).expect(200);

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
        firstName: '',
        lastName: '',
        isPhoneVerified: true,
        isActive: true,
      });
      expect(row.dateJoined.getTime()).toBeGreaterThanOrEqual(before);
      expect(Date.parse(user.date_joined)).toBe(Math.floor(row.dateJoined.getTime() / 1000) * 1000);
      expect(row.lastLogin?.getTime()).toBeGreaterThanOrEqual(row.dateJoined.getTime());
      expect(await latestOtpRow(t.db, '+12015550112')).toMatchObject({ consumedAt: expect.any(Date) });

      const profile = await t.api.profile(tokens.access).expect(200);
      expect(profile.body).toEqual({ user });
    });

    it('signs a returning user in with is_new_user false, the same id and a later last_login', async () => {
      const t = app();
      const first = await signIn(t, '+12015550113');
      const [before] = await userRows(t.db, '+12015550113');
      const second = await signIn(t, '+12015550113');

      expect(first.is_new_user).toBe(true);
      expect(second.is_new_user).toBe(false);
      expect(second.user).toEqual(first.user);
      const rows = await userRows(t.db, '+12015550113');
      expect(rows).toHaveLength(1);
      expect(rows[0].dateJoined).toEqual(before.dateJoined);
      expect(rows[0].lastLogin?.getTime()).toBeGreaterThanOrEqual(before.lastLogin?.getTime() as number);
    });

    it('treats +1 (201) 555-0114 and +12015550114 as one user stored in E.164', async () => {
      const t = app();
      const send = await t.api.sendOtp('+1 (201) 555-0114').expect(200);
      expect(send.body.phone_number).toBe('+12015550114');
      const code = t.sms.lastCodeFor('+12015550114');
      const first = await t.api.verifyOtp('+12015550114', code).expect(200);

      const code2 = await requestCode(t, '+12015550114');
      const second = await t.api.verifyOtp('+1 (201) 555-0114', code2).expect(200);

      expect(second.body.is_new_user).toBe(false);
      expect(second.body.user.id).toBe(first.body.user.id);
      expect(second.body.user.phone_number).toBe('+12015550114');
      expect(await userRows(t.db, '+12015550114')).toHaveLength(1);
      expect((await otpRows(t.db, '+12015550114')).map((row) => row.phoneNumber)).toEqual([
        '+12015550114',
        '+12015550114',
      ]);
    });

    it.each(['(201) 555-0115', '201-555-0115', '2015550115'])(
      'refuses the national-format number %j when PHONE_DEFAULT_REGION is unset',
      async (phoneNumber) => {
        const t = app();
        const res = await t.api.sendOtp(phoneNumber).expect(400);

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
      const t = app();
      const path = (route: string) => route.replace(/\/$/, slash);
      await t.http().post(path(ROUTES.sendOtp)).send({ phone_number: phoneNumber }).expect(200);
      const verify = await t
        .http()
        .post(path(ROUTES.verifyOtp))
        .send({ phone_number: phoneNumber, otp_code: t.sms.lastCodeFor(phoneNumber) })
        .expect(200);
      const profile = await t
        .http()
        .get(path(ROUTES.profile))
        .set('Authorization', `Bearer ${verify.body.tokens.access}`)
        .expect(200);

      expect(profile.body.user.phone_number).toBe(phoneNumber);
    });

    it('retires the previous code when a new one is sent: the old code fails, the new one works', async () => {
      const t = app();
      const oldCode = await requestCode(t, '+12015550118');
      let newCode = await requestCode(t, '+12015550118');
      while (newCode === oldCode) newCode = await requestCode(t, '+12015550118');

      const old = await t.api.verifyOtp('+12015550118', oldCode).expect(400);
      expectProblem(old, 400, 'otp_invalid');
      await t.api.verifyOtp('+12015550118', newCode).expect(200);

      const rows = await otpRows(t.db, '+12015550118');
      expect(rows.slice(0, -1).every((row) => row.invalidatedAt !== null && row.consumedAt === null)).toBe(true);
      expect(rows[rows.length - 1]).toMatchObject({ invalidatedAt: null, consumedAt: expect.any(Date) });
    });

    it('refuses a code that was already used with otp_invalid', async () => {
      const t = app();
      const code = await requestCode(t, '+12015550119');
      await t.api.verifyOtp('+12015550119', code).expect(200);
      const used = await latestOtpRow(t.db, '+12015550119');

      const again = await t.api.verifyOtp('+12015550119', code).expect(400);

      expectProblem(again, 400, 'otp_invalid');
      expect(await latestOtpRow(t.db, '+12015550119')).toEqual(used);
      expect(await userRows(t.db, '+12015550119')).toHaveLength(1);
    });

    it('refuses the right code with otp_expired once its lifetime has passed', async () => {
      const t = app();
      const code = await requestCode(t, '+12015550122');
      await expireLatestCode(t.db, '+12015550122');

      const res = await t.api.verifyOtp('+12015550122', code).expect(400);

      expectProblem(res, 400, 'otp_expired');
      expect(await latestOtpRow(t.db, '+12015550122')).toMatchObject({ consumedAt: null });
      expect(await userRows(t.db, '+12015550122')).toEqual([]);
    });

    it('lets exactly one of 10 parallel verifications of the right code through', async () => {
      const t = app();
      const code = await requestCode(t, '+12015550123');

      const results = await Promise.all(Array.from({ length: 10 }, () => t.api.verifyOtp('+12015550123', code)));

      expect(results.map((res) => res.status).filter((status) => status === 200)).toHaveLength(1);
      for (const res of results.filter((r) => r.status !== 200)) {
        expect(['otp_invalid', 'otp_attempts_exceeded']).toContain(res.body.code);
        expectProblem(res, res.body.code === 'otp_invalid' ? 400 : 429, res.body.code);
      }
      expect(await userRows(t.db, '+12015550123')).toHaveLength(1);
      const row = await latestOtpRow(t.db, '+12015550123');
      expect(row.consumedAt).toEqual(expect.any(Date));
      expect(row.attempts).toBeLessThanOrEqual(5);
    });

    it('answers 503 sms_delivery_failed when the SMS fails, and that code can never be redeemed', async () => {
      const t = app();
      t.sms.failing = true;
      const res = await t.api.sendOtp('+12015550124').expect(503);
      t.sms.failing = false;

      expectProblem(res, 503, 'sms_delivery_failed');
      expect(t.sms.countFor('+12015550124')).toBe(0);
      const row = await latestOtpRow(t.db, '+12015550124');
      expect(row.invalidatedAt).toEqual(expect.any(Date));

      const code = t.sms.lastAttemptedCodeFor('+12015550124');
      const verify = await t.api.verifyOtp('+12015550124', code).expect(400);
      expectProblem(verify, 400, 'otp_invalid');
      expect(await latestOtpRow(t.db, '+12015550124')).toMatchObject({ consumedAt: null });
      expect(await userRows(t.db, '+12015550124')).toEqual([]);
    });
  });

  describe('with PHONE_DEFAULT_REGION=US', () => {
    const app = useTestApp(dialect, { env: { PHONE_DEFAULT_REGION: 'US' } });

    it.each([
      ['written with the area code in brackets', '(201) 555-0130', '+12015550130'],
      ['written with dashes', '201-555-0131', '+12015550131'],
    ])('accepts a national-format number %s and signs it in under E.164', async (_label, national, e164) => {
      const t = app();
      const send = await t.api.sendOtp(national).expect(200);
      expect(send.body.phone_number).toBe(e164);

      const verify = await t.api.verifyOtp(national, t.sms.lastCodeFor(e164)).expect(200);

      expect(verify.body.user.phone_number).toBe(e164);
      expect(await userRows(t.db, e164)).toHaveLength(1);
    });

    it('still accepts international numbers from other countries', async () => {
      const { user } = await signIn(app(), '+447911123456');

      expect(user.phone_number).toBe('+447911123456');
    });
  });

  describe('with OTP_CODE_LENGTH=8', () => {
    const app = useTestApp(dialect, { env: { OTP_CODE_LENGTH: '8' } });

    it('texts 8-digit codes and refuses a 6-digit code with validation_failed without counting it', async () => {
      const t = app();
      const code = await requestCode(t, '+12015550140');
      expect(code).toMatch(/^\d{8}$/);

      const short = await t.api.verifyOtp('+12015550140', code.slice(0, 6)).expect(400);

      expectProblem(short, 400, 'validation_failed');
      expect(short.body.errors).toEqual([{ field: 'otp_code', message: expect.any(String) }]);
      expect(await latestOtpRow(t.db, '+12015550140')).toMatchObject({ attempts: 0 });
      await t.api.verifyOtp('+12015550140', code).expect(200);
    });
  });

  describe('with OTP_MAX_ATTEMPTS=3', () => {
    const app = useTestApp(dialect, { env: { OTP_MAX_ATTEMPTS: '3' } });

    it('counts parallel wrong guesses exactly: 10 at once give 3 otp_invalid and 7 otp_attempts_exceeded', async () => {
      const t = app();
      const code = await requestCode(t, '+12015550151');

      const results = await Promise.all(
        Array.from({ length: 10 }, () => t.api.verifyOtp('+12015550151', wrongCode(code))),
      );

      const codes = results.map((res) => res.body.code as string);
      expect(codes.filter((c) => c === 'otp_invalid')).toHaveLength(3);
      expect(codes.filter((c) => c === 'otp_attempts_exceeded')).toHaveLength(7);
      expect(await latestOtpRow(t.db, '+12015550151')).toMatchObject({ attempts: 3, consumedAt: null });
      const right = await t.api.verifyOtp('+12015550151', code);
      expectProblem(right, 429, 'otp_attempts_exceeded');
    });

    it('gives a newly sent code a fresh set of attempts', async () => {
      const t = app();
      const burned = await requestCode(t, '+12015550152');
      await guessWrong(t, '+12015550152', burned, 3);

      const code = await requestCode(t, '+12015550152');
      await t.api.verifyOtp('+12015550152', code).expect(200);

      const [burnedRow, freshRow] = await otpRows(t.db, '+12015550152');
      expect(burnedRow).toMatchObject({ attempts: 3, consumedAt: null });
      expect(freshRow.consumedAt).toEqual(expect.any(Date));
    });
  });
});
