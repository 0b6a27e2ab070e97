import { randomBytes } from 'node:crypto';
import { Secret, TOTP } from 'otpauth';
import { backends } from '../helpers/backends';
import { otpRows } from '../helpers/db-rows';
import { startFakeSiteverify, type FakeSiteverify } from '../helpers/fake-siteverify';
import { expectProblem } from '../helpers/problems';
import type { SignedIn } from '../helpers/sign-in';
import { useTestApp, type TestApp } from '../helpers/test-app';

const SECRET = `turnstile-secret-${randomBytes(16).toString('hex')}`;
/** The test client's address as the app sees it. */
const LOOPBACK = /^(::ffff:)?127\.0\.0\.1$|^::1$/;

/** A token the fake provider passes once. */
function solved(fake: FakeSiteverify): string {
  const token = `solved-${randomBytes(8).toString('hex')}`;
  fake.pass(token);
  return token;
}

/** The env for Turnstile checked at the fake's siteverify URL, plus `env`. */
function turnstile(fake: FakeSiteverify, env: Record<string, string>): { env: Record<string, string> } {
  return { env: { CAPTCHA_PROVIDER: 'turnstile', CAPTCHA_SECRET: SECRET, CAPTCHA_VERIFY_URL: fake.url, ...env } };
}

/** The whole sign-in with a solved captcha on send-otp. */
async function signInSolving(t: TestApp, fake: FakeSiteverify, phoneNumber: string): Promise<SignedIn> {
  await t.api.sendOtp(phoneNumber, { captcha_token: solved(fake) }).expect(200);
  const res = await t.api.verifyOtp(phoneNumber, t.sms.lastCodeFor(phoneNumber)).expect(200);
  return res.body as SignedIn;
}

describe.each(backends())('security: captcha on %s', (backend) => {
  let fake: FakeSiteverify;
  beforeAll(async () => {
    fake = await startFakeSiteverify({ secret: SECRET });
  });
  afterAll(() => fake?.close());
  afterEach(() => {
    fake.mode = 'answer';
  });

  describe('with CAPTCHA_MODE=always and CAPTCHA_TIMEOUT=300ms', () => {
    const app = useTestApp(backend, () => turnstile(fake, { CAPTCHA_MODE: 'always', CAPTCHA_TIMEOUT: '300ms' }));

    it('refuses a send without captcha_token with 400 captcha_required, asking no provider and texting nothing', async () => {
      const t = app();
      const asked = fake.requests.length;

      expectProblem(await t.api.sendOtp('+12015550101'), 400, 'captcha_required');

      expect(fake.requests).toHaveLength(asked);
      expect(t.sms.attempted.filter((m) => m.to === '+12015550101')).toEqual([]);
      expect(await otpRows(t.db, '+12015550101')).toEqual([]);
    });

    it("texts the code for a token the provider passes, having shown it the secret, the token and the client's IP", async () => {
      const t = app();
      const token = solved(fake);

      await t.api.sendOtp('+12015550102', { captcha_token: token }).expect(200);

      expect(fake.requests.at(-1)).toEqual({
        secret: SECRET,
        response: token,
        remoteip: expect.stringMatching(LOOPBACK),
      });
      expect(t.sms.countFor('+12015550102')).toBe(1);
    });

    it('refuses a token the second time with captcha_invalid, without asking the provider again', async () => {
      const t = app();
      const token = solved(fake);
      await t.api.sendOtp('+12015550103', { captcha_token: token }).expect(200);
      const asked = fake.requests.length;

      expectProblem(await t.api.sendOtp('+12015550104', { captcha_token: token }), 400, 'captcha_invalid');

      expect(fake.requests).toHaveLength(asked);
      expect(t.sms.attempted.filter((m) => m.to === '+12015550104')).toEqual([]);
    });

    it('refuses a token the provider refuses with captcha_invalid and texts nothing', async () => {
      const t = app();
      fake.fail('refused-token', ['invalid-input-response']);

      expectProblem(await t.api.sendOtp('+12015550105', { captcha_token: 'refused-token' }), 400, 'captcha_invalid');

      expect(fake.requests.at(-1)).toMatchObject({ response: 'refused-token' });
      expect(t.sms.attempted.filter((m) => m.to === '+12015550105')).toEqual([]);
      expect(await otpRows(t.db, '+12015550105')).toEqual([]);
    });

    it('answers 503 captcha_unavailable when the provider hangs past CAPTCHA_TIMEOUT, and takes the same token once it answers', async () => {
      const t = app();
      const token = solved(fake);
      fake.mode = 'hang';

      const res = await t.api.sendOtp('+12015550106', { captcha_token: token });

      expectProblem(res, 503, 'captcha_unavailable');
      expect(res.headers['retry-after']).toMatch(/^[1-9]\d*$/);
      expect(t.sms.attempted.filter((m) => m.to === '+12015550106')).toEqual([]);
      expect(await otpRows(t.db, '+12015550106')).toEqual([]);

      fake.mode = 'answer';
      await t.api.sendOtp('+12015550106', { captcha_token: token }).expect(200);
      expect(t.sms.countFor('+12015550106')).toBe(1);
    });

    it('asks for a captcha on a phone change and an account recovery, but not for reauthentication', async () => {
      const t = app();
      const alice = await signInSolving(t, fake, '+12015550110');

      await t.api.reauthenticate(alice.tokens.access).expect(200);
      expectProblem(await t.api.requestPhoneChange(alice.tokens.access, '+12015550111'), 400, 'captcha_required');
      const change = { captcha_token: solved(fake) };
      await t.api.requestPhoneChange(alice.tokens.access, '+12015550111', change).expect(200);

      const { body } = await t.api.enrolTotp(alice.tokens.access).expect(200);
      const totp = TOTP.generate({ secret: Secret.fromBase32(body.secret as string), period: 30, digits: 6 });
      const activated = await t.api.activateTotp(alice.tokens.access, totp).expect(200);
      const proof = { recovery_code: (activated.body.recovery_codes as string[])[0] };
      expectProblem(await t.api.requestRecovery('+12015550110', '+12015550112', proof), 400, 'captcha_required');
      // The refused request did not spend the recovery code.
      const recovery = { ...proof, captcha_token: solved(fake) };
      await t.api.requestRecovery('+12015550110', '+12015550112', recovery).expect(200);

      expect(t.sms.sent.map((m) => m.to)).toEqual(expect.arrayContaining(['+12015550111', '+12015550112']));
      expect(t.sms.countFor('+12015550110')).toBe(2);
    });
  });

  describe('with CAPTCHA_MODE=always and a test number', () => {
    const app = useTestApp(backend, () =>
      turnstile(fake, { CAPTCHA_MODE: 'always', OTP_TEST_NUMBERS: '+12015550199:123456' }),
    );

    it('signs the test number in without a captcha: it texts nothing, so it is not screened', async () => {
      const t = app();
      await t.api.sendOtp('+12015550199').expect(200);
      await t.api.verifyOtp('+12015550199', '123456').expect(200);
      expect(t.sms.attempted).toEqual([]);
    });
  });

  describe('with CAPTCHA_MODE=on_risk, FRAUD_ACTION=challenge and FRAUD_MIN_SENDS=5', () => {
    const app = useTestApp(backend, () =>
      turnstile(fake, { CAPTCHA_MODE: 'on_risk', FRAUD_ACTION: 'challenge', FRAUD_MIN_SENDS: '5' }),
    );

    it('asks no captcha of a prefix whose codes are not yet judged', async () => {
      const t = app();
      const asked = fake.requests.length;
      for (let i = 0; i < 5; i++) await t.api.sendOtp(`+1201555000${i}`).expect(200);
      expect(fake.requests).toHaveLength(asked);
    });

    it('asks a captcha of a tripped prefix: captcha_required without a token, the code with a passing one', async () => {
      const t = app();
      // Five unverified codes trip +1201556xxxx.
      for (let i = 0; i < 5; i++) await t.api.sendOtp(`+1201556000${i}`).expect(200);

      expectProblem(await t.api.sendOtp('+12015560100'), 400, 'captcha_required');
      expect(t.sms.attempted.filter((m) => m.to === '+12015560100')).toEqual([]);
      expectProblem(await t.api.sendOtp('+12015560100', { captcha_token: 'nonsense' }), 400, 'captcha_invalid');
      await t.api.sendOtp('+12015560100', { captcha_token: solved(fake) }).expect(200);

      expect(t.sms.countFor('+12015560100')).toBe(1);
      await t.api.sendOtp('+12025550100').expect(200);
    });
  });

  describe('with CAPTCHA_PROVIDER=none (the default)', () => {
    const app = useTestApp(backend);

    it('accepts a captcha_token in the body and ignores it', async () => {
      const t = app();
      const asked = fake.requests.length;
      await t.api.sendOtp('+12015550120', { captcha_token: 'anything' }).expect(200);
      expect(t.sms.countFor('+12015550120')).toBe(1);
      expect(fake.requests).toHaveLength(asked);
    });
  });
});
