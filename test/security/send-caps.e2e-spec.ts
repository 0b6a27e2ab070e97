import { ROUTES } from '../helpers/api-client';
import { backends } from '../helpers/backends';
import { latestOtpRow, otpRows } from '../helpers/db-rows';
import { expectProblem, expectRateLimited } from '../helpers/problems';
import { guessWrong, requestCode } from '../helpers/sign-in';
import { useTestApp } from '../helpers/test-app';

const HOUR_S = 3600;
const DAY_S = 24 * HOUR_S;

describe.each(backends())('security: send caps on %s', (backend) => {
  describe('with OTP_PHONE_SEND_LIMIT=3 and no cooldown', () => {
    const app = useTestApp(backend, { env: { OTP_PHONE_SEND_LIMIT: '3', OTP_RESEND_COOLDOWN: '0s' } });

    it('refuses the 4th send to one phone with rate_limited and Retry-After, texts nothing, and serves other phones', async () => {
      const t = app();
      for (let send = 1; send <= 3; send++) await t.api.sendOtp('+12015550130').expect(200);

      expectRateLimited(await t.api.sendOtp('+12015550130'), HOUR_S);
      expect(t.sms.countFor('+12015550130')).toBe(3);
      expect(await otpRows(t.db, '+12015550130')).toHaveLength(3);
      await t.api.sendOtp('+12015550131').expect(200);
      expect(t.sms.countFor('+12015550131')).toBe(1);
    });
  });

  describe('with OTP_PHONE_DAILY_SEND_LIMIT=2', () => {
    const app = useTestApp(backend, { env: { OTP_PHONE_DAILY_SEND_LIMIT: '2', OTP_RESEND_COOLDOWN: '0s' } });

    it('refuses the 3rd send of the day to one phone with rate_limited, texts nothing, and serves other phones', async () => {
      const t = app();
      await t.api.sendOtp('+12015550132').expect(200);
      await t.api.sendOtp('+12015550132').expect(200);

      const res = await t.api.sendOtp('+12015550132');

      expectRateLimited(res, DAY_S);
      expect(Number(res.headers['retry-after'])).toBeGreaterThan(HOUR_S);
      expect(t.sms.countFor('+12015550132')).toBe(2);
      await t.api.sendOtp('+12015550133').expect(200);
    });
  });

  describe('with SMS_HOURLY_BUDGET=3', () => {
    const app = useTestApp(backend, { env: { SMS_HOURLY_BUDGET: '3', SMS_COUNTRY_BUDGETS: '*:100' } });

    it('refuses the 4th SMS of the hour whatever the phone, with rate_limited and no SMS', async () => {
      const t = app();
      for (const phone of ['+12015550134', '+12015550135', '+12015550136']) await t.api.sendOtp(phone).expect(200);

      expectRateLimited(await t.api.sendOtp('+12015550137'), HOUR_S);
      expect(t.sms.attempted).toHaveLength(3);
      expect(await otpRows(t.db, '+12015550137')).toEqual([]);
    });
  });

  describe('with OTP_IP_SEND_LIMIT=2', () => {
    const app = useTestApp(backend, { env: { OTP_IP_SEND_LIMIT: '2' } });

    it('refuses a 3rd send-otp from one client IP, to any phone, with rate_limited and no SMS', async () => {
      const t = app();
      await t.api.sendOtp('+12015550138').expect(200);
      await t.api.sendOtp('+12015550139').expect(200);

      expectRateLimited(await t.api.sendOtp('+12015550140'), HOUR_S);
      expect(t.sms.attempted).toHaveLength(2);
      expect(await otpRows(t.db, '+12015550140')).toEqual([]);
      // The per-IP send limit is its own: other routes are untouched.
      await t.api.verifyOtp('+12015550138', t.sms.lastCodeFor('+12015550138')).expect(200);
    });
  });

  describe('with OTP_IP_SEND_LIMIT=2, once a client is refused', () => {
    const app = useTestApp(backend, { env: { OTP_IP_SEND_LIMIT: '2' } });
    it('refuses the client again on arrival while the window lasts: a malformed body gets the same 429, unread', async () => {
      const t = app();
      await t.api.sendOtp('+12015550144').expect(200);
      await t.api.sendOtp('+12015550145').expect(200);
      const refused = await t.api.sendOtp('+12015550146');
      expectRateLimited(refused, HOUR_S);

      const again = await t
        .http()
        .post(ROUTES.sendOtp)
        .set('Content-Type', 'application/json')
        .send('{"phone_number":');

      expectRateLimited(again, HOUR_S);
      expect(again.body).toEqual({ ...refused.body, detail: again.body.detail });
      expect(t.sms.attempted).toHaveLength(2);
    });
  });

  describe('with OTP_PHONE_FAILURE_LIMIT=4 and OTP_MAX_ATTEMPTS=10', () => {
    const app = useTestApp(backend, { env: { OTP_PHONE_FAILURE_LIMIT: '4', OTP_MAX_ATTEMPTS: '10' } });

    it('caps wrong guesses per phone across resends: after 4 in total even a fresh right code gets rate_limited', async () => {
      const t = app();
      const phone = '+12015550141';
      for (let resend = 1; resend <= 2; resend++) await guessWrong(t, phone, await requestCode(t, phone), 2);
      const fresh = await requestCode(t, phone);

      const refused = await t.api.verifyOtp(phone, fresh);
      expectRateLimited(refused, HOUR_S);
      // Refused before the code is touched: the fresh code was neither counted nor consumed.
      expect(await latestOtpRow(t.db, phone)).toMatchObject({ attempts: 0, consumedAt: null });
      // And from then on refused on arrival, the same way, before the body is even validated.
      const again = await t.api.verifyOtp(phone, 'not a code');
      expectRateLimited(again, HOUR_S);
      expect(again.body).toEqual(refused.body);
      // Another number from the same client is another subject.
      expectProblem(await t.api.verifyOtp('+12015550147', 'not a code'), 400, 'validation_failed');
    });
  });

  describe('with OTP_MAX_CONSECUTIVE_FAILURES=3', () => {
    const app = useTestApp(backend, { env: { OTP_MAX_CONSECUTIVE_FAILURES: '3', OTP_MAX_ATTEMPTS: '10' } });

    it('refuses even a fresh right code after 3 consecutive wrong guesses across resends', async () => {
      const t = app();
      const phone = '+12015550142';
      for (const guesses of [2, 1]) await guessWrong(t, phone, await requestCode(t, phone), guesses);
      const fresh = await requestCode(t, phone);

      expectRateLimited(await t.api.verifyOtp(phone, fresh), DAY_S);
    });

    it('ends the streak on a success: 2 wrong, 1 right, then 2 more wrong are still answered otp_invalid', async () => {
      const t = app();
      const phone = '+12015550143';
      const first = await requestCode(t, phone);
      await guessWrong(t, phone, first, 2);
      await t.api.verifyOtp(phone, first).expect(200);

      const second = await requestCode(t, phone);
      await guessWrong(t, phone, second, 2);
      await t.api.verifyOtp(phone, second).expect(200);
    });
  });
});
