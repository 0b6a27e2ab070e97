import { Secret, TOTP } from 'otpauth';
import { RecoveryCode } from '../src/mfa/recovery-code.entity';
import { TotpFactor } from '../src/mfa/totp-factor.entity';
import { useClock } from './helpers/clock';
import { dialects } from './helpers/databases';
import { userRows } from './helpers/db-rows';
import { expectProblem } from './helpers/problems';
import { sessionRowOf, sessionRowsOfUser } from './helpers/sessions';
import { requestCode, signIn, type SignedIn } from './helpers/sign-in';
import { useTestApp, type TestApp } from './helpers/test-app';

const STEP = 30_000;
const MINUTE = 60_000;
const SEED_BODY_KEYS = ['is_new_user', 'message', 'tokens', 'user'];

/** What the authenticator app shows at `at` (now by default). */
function totpCode(secret: string, at = Date.now()): string {
  return TOTP.generate({ secret: Secret.fromBase32(secret), algorithm: 'SHA1', digits: 6, period: 30, timestamp: at });
}

interface Enrolled extends SignedIn {
  secret: string;
  recoveryCodes: string[];
}

/** Signs in, enrols an authenticator and activates it with its current code. */
async function enrol(t: TestApp, phoneNumber: string): Promise<Enrolled> {
  const signedIn = await signIn(t, phoneNumber);
  const { body } = await t.api.enrolTotp(signedIn.tokens.access).expect(200);
  const secret = body.secret as string;
  const activated = await t.api.activateTotp(signedIn.tokens.access, totpCode(secret)).expect(200);
  return { ...signedIn, secret, recoveryCodes: activated.body.recovery_codes as string[] };
}

/** send-otp and verify-otp for a user with a second factor: returns the `mfa_token`. */
async function startSignIn(t: TestApp, phoneNumber: string): Promise<string> {
  const code = await requestCode(t, phoneNumber);
  const res = await t.api.verifyOtp(phoneNumber, code).expect(200);
  expect(res.body).toMatchObject({ mfa_required: true });
  return res.body.mfa_token as string;
}

describe.each(dialects())('second factor on %s', (dialect) => {
  describe('with MFA_POLICY=optional (the default)', () => {
    const app = useTestApp(dialect, { env: { ACCOUNT_RECOVERY_FAILURE_LIMIT: '3' } });
    const clock = useClock();

    describe('enrolment', () => {
      it('returns an otpauth URI for a pending factor; a code from it activates the factor and returns 10 recovery codes', async () => {
        const t = app();
        const alice = await signIn(t, '+12015550401');
        expect((await t.api.mfaStatus(alice.tokens.access).expect(200)).body).toEqual({
          policy: 'optional',
          totp: { status: 'none', created_at: null, confirmed_at: null },
          recovery_codes_left: 0,
        });

        const enrolled = await t.api.enrolTotp(alice.tokens.access).expect(200);
        const { secret, otpauth_uri } = enrolled.body as { secret: string; otpauth_uri: string };
        expect(secret).toMatch(/^[A-Z2-7]{32}$/);
        expect(otpauth_uri).toBe(
          `otpauth://totp/Phone%20OTP%20Auth:%2B12015550401?issuer=Phone%20OTP%20Auth&secret=${secret}&algorithm=SHA1&digits=6&period=30`,
        );
        expect((await t.api.mfaStatus(alice.tokens.access)).body).toMatchObject({
          totp: { status: 'pending', created_at: new Date().toISOString(), confirmed_at: null },
        });

        const activated = await t.api.activateTotp(alice.tokens.access, totpCode(secret)).expect(200);
        const codes = activated.body.recovery_codes as string[];
        expect(codes).toHaveLength(10);
        expect(new Set(codes).size).toBe(10);
        expect((await t.api.mfaStatus(alice.tokens.access)).body).toEqual({
          policy: 'optional',
          totp: { status: 'active', created_at: new Date().toISOString(), confirmed_at: new Date().toISOString() },
          recovery_codes_left: 10,
        });
      });

      it('keeps the TOTP secret sealed and the recovery codes only as keyed hashes', async () => {
        const t = app();
        const alice = await enrol(t, '+12015550402');
        const userId = alice.user.id;

        const factors = await t.db.query<object[]>('SELECT * FROM totp_factors');
        expect(await t.db.getRepository(TotpFactor).countBy({ userId })).toBe(1);
        expect(JSON.stringify(factors)).not.toContain(alice.secret);
        expect(JSON.stringify(factors).toUpperCase()).not.toContain(alice.secret);
        const codes = await t.db.getRepository(RecoveryCode).findBy({ userId });
        expect(codes).toHaveLength(10);
        const stored = JSON.stringify(await t.db.query<object[]>('SELECT * FROM recovery_codes'));
        for (const code of alice.recoveryCodes) {
          expect(stored).not.toContain(code);
          expect(stored).not.toContain(code.replace('-', ''));
        }
      });

      it('refuses a wrong code, and activation with nothing pending', async () => {
        const t = app();
        const alice = await signIn(t, '+12015550403');
        expectProblem(await t.api.activateTotp(alice.tokens.access, '123456'), 409, 'mfa_not_enrolled');

        const { body } = await t.api.enrolTotp(alice.tokens.access).expect(200);
        const wrong = totpCode(body.secret as string, Date.now() + 5 * STEP);
        expectProblem(await t.api.activateTotp(alice.tokens.access, wrong), 400, 'otp_invalid');
        expect(
          (await t.db.getRepository(TotpFactor).findOneByOrFail({ userId: alice.user.id })).confirmedAt,
        ).toBeNull();
      });

      it('activates only the newest enrolment: a code from a replaced secret is refused', async () => {
        const t = app();
        const alice = await signIn(t, '+12015550404');
        const first = (await t.api.enrolTotp(alice.tokens.access).expect(200)).body.secret as string;
        const second = (await t.api.enrolTotp(alice.tokens.access).expect(200)).body.secret as string;

        expectProblem(await t.api.activateTotp(alice.tokens.access, totpCode(first)), 400, 'otp_invalid');
        await t.api.activateTotp(alice.tokens.access, totpCode(second)).expect(200);
      });

      it('needs a recent authentication to enrol', async () => {
        const t = app();
        const alice = await signIn(t, '+12015550405');
        clock.advance(11 * MINUTE);
        expectProblem(await t.api.enrolTotp(alice.tokens.access), 401, 'reauthentication_required');
      });

      it('refuses a second authenticator while one is active', async () => {
        const t = app();
        const alice = await enrol(t, '+12015550406');
        expectProblem(await t.api.enrolTotp(alice.tokens.access), 409, 'mfa_already_enrolled');
      });
    });

    describe('signing in', () => {
      it('answers verify-otp with a challenge, not tokens, and opens no session until it is met', async () => {
        const t = app();
        const alice = await enrol(t, '+12015550411');
        const code = await requestCode(t, '+12015550411');

        const res = await t.api.verifyOtp('+12015550411', code).expect(200);

        expect(res.body).toEqual({
          message: 'Second factor required',
          mfa_required: true,
          mfa_token: expect.stringMatching(/^[\w-]{43}$/),
          factors: ['totp', 'recovery_code'],
          expires_in_seconds: 300,
        });
        expect(await sessionRowsOfUser(t.db, alice.user.id)).toHaveLength(1);
      });

      it('completes with a TOTP code: the seed success body and a new session', async () => {
        const t = app();
        const alice = await enrol(t, '+12015550412');
        clock.advance(STEP);
        const token = await startSignIn(t, '+12015550412');

        const res = await t.api
          .completeChallenge(token, { totp_code: totpCode(alice.secret) })
          .set('User-Agent', 'Authenticator test')
          .expect(200);

        expect(Object.keys(res.body).sort()).toEqual(SEED_BODY_KEYS);
        expect(res.body).toMatchObject({ message: 'Authentication successful', user: alice.user, is_new_user: false });
        expect((await sessionRowOf(t.db, res.body.tokens.access)).userAgent).toBe('Authenticator test');
        await t.api.profile(res.body.tokens.access).expect(200);
      });

      it('accepts a TOTP code once per time step: the same code again is refused, the next step’s works', async () => {
        const t = app();
        const alice = await enrol(t, '+12015550413');
        clock.advance(STEP);
        const code = totpCode(alice.secret);
        await t.api.completeChallenge(await startSignIn(t, '+12015550413'), { totp_code: code }).expect(200);

        const again = await startSignIn(t, '+12015550413');
        expectProblem(await t.api.completeChallenge(again, { totp_code: code }), 400, 'otp_invalid');
        clock.advance(STEP);
        await t.api.completeChallenge(again, { totp_code: totpCode(alice.secret) }).expect(200);
      });

      it('accepts the code of a neighbouring step (clock drift), not one two steps away', async () => {
        const t = app();
        const alice = await enrol(t, '+12015550414');
        clock.advance(10 * STEP);

        const token = await startSignIn(t, '+12015550414');
        const twoBehind = totpCode(alice.secret, Date.now() - 2 * STEP);
        expectProblem(await t.api.completeChallenge(token, { totp_code: twoBehind }), 400, 'otp_invalid');
        const oneBehind = totpCode(alice.secret, Date.now() - STEP);
        await t.api.completeChallenge(token, { totp_code: oneBehind }).expect(200);
      });

      it('takes each mfa_token once', async () => {
        const t = app();
        const alice = await enrol(t, '+12015550415');
        const token = await startSignIn(t, '+12015550415');
        await t.api.completeChallenge(token, { recovery_code: alice.recoveryCodes[0] }).expect(200);

        const again = await t.api.completeChallenge(token, { recovery_code: alice.recoveryCodes[1] });
        expectProblem(again, 401, 'mfa_token_invalid');
      });

      it('lets 1 of 20 parallel completions of one mfa_token sign in', async () => {
        const t = app();
        const alice = await enrol(t, '+12015550416');
        const token = await startSignIn(t, '+12015550416');

        const answers = await Promise.all(
          alice.recoveryCodes
            .concat(alice.recoveryCodes)
            .map((code) => t.api.completeChallenge(token, { recovery_code: code })),
        );

        expect(answers.filter((res) => res.status === 200)).toHaveLength(1);
        for (const res of answers.filter((r) => r.status !== 200)) {
          expect([res.status, res.body.code]).toEqual([401, 'mfa_token_invalid']);
        }
        expect(await sessionRowsOfUser(t.db, alice.user.id)).toHaveLength(2);
        expect((await t.api.mfaStatus(alice.tokens.access)).body.recovery_codes_left).toBe(9);
      });

      it('lets the mfa_token expire after MFA_CHALLENGE_TTL', async () => {
        const t = app();
        const alice = await enrol(t, '+12015550417');
        const token = await startSignIn(t, '+12015550417');
        clock.advance(5 * MINUTE + 1000);

        const res = await t.api.completeChallenge(token, { recovery_code: alice.recoveryCodes[0] });
        expectProblem(res, 401, 'mfa_token_invalid');
      });

      it('burns the mfa_token after OTP_MAX_ATTEMPTS wrong codes: then even the right one is refused', async () => {
        const t = app();
        const alice = await enrol(t, '+12015550418');
        clock.advance(STEP);
        const token = await startSignIn(t, '+12015550418');
        const wrong = totpCode(alice.secret, Date.now() + 10 * STEP);
        for (let attempt = 1; attempt <= 5; attempt++) {
          expectProblem(await t.api.completeChallenge(token, { totp_code: wrong }), 400, 'otp_invalid');
        }

        const right = await t.api.completeChallenge(token, { totp_code: totpCode(alice.secret) });
        expectProblem(right, 401, 'mfa_token_invalid');
      });

      it('refuses a made-up mfa_token, and a body with both proofs or neither', async () => {
        const t = app();
        const alice = await enrol(t, '+12015550419');
        const token = await startSignIn(t, '+12015550419');
        const made = await t.api.completeChallenge('x'.repeat(43), { recovery_code: alice.recoveryCodes[0] });
        expectProblem(made, 401, 'mfa_token_invalid');

        const both = { totp_code: totpCode(alice.secret), recovery_code: alice.recoveryCodes[0] };
        expectProblem(await t.api.completeChallenge(token, both), 400, 'validation_failed');
        expectProblem(await t.api.completeChallenge(token, {}), 400, 'validation_failed');
        expectProblem(await t.api.completeChallenge(token, { totp_code: '12345' }), 400, 'validation_failed');
        await t.api.completeChallenge(token, { recovery_code: alice.recoveryCodes[0] }).expect(200);
      });

      it('leaves the seed flow exactly as it was for a user without a factor', async () => {
        const t = app();
        const res = await t.api.verifyOtp('+12015550420', await requestCode(t, '+12015550420')).expect(200);
        expect(Object.keys(res.body).sort()).toEqual(SEED_BODY_KEYS);
        expect(Object.keys(res.body.tokens as object).sort()).toEqual(['access', 'refresh']);
      });

      it('refuses the challenge of an account that moved to another number meanwhile', async () => {
        const t = app();
        const alice = await enrol(t, '+12015550421');
        const token = await startSignIn(t, '+12015550421');
        await t.api.requestPhoneChange(alice.tokens.access, '+12015550422').expect(200);
        await t.api
          .verifyPhoneChange(alice.tokens.access, '+12015550422', t.sms.lastCodeFor('+12015550422'))
          .expect(200);

        const res = await t.api.completeChallenge(token, { recovery_code: alice.recoveryCodes[0] });
        expectProblem(res, 401, 'mfa_token_invalid');
        expect((await t.api.mfaStatus((await enrolledSession(t, '+12015550422', alice)).access)).body).toMatchObject({
          recovery_codes_left: 9,
        });
      });
    });

    describe('recovery codes', () => {
      it('work once each, and the count left is visible', async () => {
        const t = app();
        const alice = await enrol(t, '+12015550431');
        const [code] = alice.recoveryCodes;
        await t.api.completeChallenge(await startSignIn(t, '+12015550431'), { recovery_code: code }).expect(200);

        const again = await t.api.completeChallenge(await startSignIn(t, '+12015550431'), { recovery_code: code });
        expectProblem(again, 400, 'otp_invalid');
        expect((await t.api.mfaStatus(alice.tokens.access)).body.recovery_codes_left).toBe(9);
      });

      it('are accepted however they are typed', async () => {
        const t = app();
        const alice = await enrol(t, '+12015550432');
        const typed = ` ${alice.recoveryCodes[0].toLowerCase().replace('-', ' ')} `;
        await t.api.completeChallenge(await startSignIn(t, '+12015550432'), { recovery_code: typed }).expect(200);
      });

      it('let exactly one of 20 parallel sign-ins redeem the same code', async () => {
        const t = app();
        const alice = await enrol(t, '+12015550433');
        const tokens: string[] = [];
        for (let i = 0; i < 20; i++) tokens.push(await startSignIn(t, '+12015550433'));

        const answers = await Promise.all(
          tokens.map((token) => t.api.completeChallenge(token, { recovery_code: alice.recoveryCodes[0] })),
        );

        expect(answers.filter((res) => res.status === 200)).toHaveLength(1);
        for (const res of answers.filter((r) => r.status !== 200)) expectProblem(res, 400, 'otp_invalid');
        const used = await t.db.getRepository(RecoveryCode).findBy({ userId: alice.user.id });
        expect(used.filter((row) => row.usedAt !== null)).toHaveLength(1);
        expect(await sessionRowsOfUser(t.db, alice.user.id)).toHaveLength(2);
      });

      it('are replaced by a new set on request (recent auth): the old set stops working', async () => {
        const t = app();
        const alice = await enrol(t, '+12015550434');
        const renewed = await t.api.regenerateRecoveryCodes(alice.tokens.access).expect(200);
        const fresh = renewed.body.recovery_codes as string[];
        expect(fresh).toHaveLength(10);

        const old = await t.api.completeChallenge(await startSignIn(t, '+12015550434'), {
          recovery_code: alice.recoveryCodes[0],
        });
        expectProblem(old, 400, 'otp_invalid');
        await t.api.completeChallenge(await startSignIn(t, '+12015550434'), { recovery_code: fresh[0] }).expect(200);

        clock.advance(11 * MINUTE);
        expectProblem(await t.api.regenerateRecoveryCodes(alice.tokens.access), 401, 'reauthentication_required');
      });

      it('cannot be regenerated without an authenticator', async () => {
        const t = app();
        const bob = await signIn(t, '+12015550435');
        expectProblem(await t.api.regenerateRecoveryCodes(bob.tokens.access), 409, 'mfa_not_enrolled');
      });
    });

    describe('removing the authenticator', () => {
      it('needs a recent authentication and a proof; afterwards the SMS code alone signs in', async () => {
        const t = app();
        const alice = await enrol(t, '+12015550441');
        expectProblem(
          await t.api.removeTotp(alice.tokens.access, { recovery_code: 'AAAAA-AAAAA' }),
          400,
          'otp_invalid',
        );
        expectProblem(await t.api.removeTotp(alice.tokens.access, {}), 400, 'validation_failed');

        await t.api.removeTotp(alice.tokens.access, { recovery_code: alice.recoveryCodes[0] }).expect(204);

        expect(await t.db.getRepository(TotpFactor).findBy({ userId: alice.user.id })).toEqual([]);
        expect(await t.db.getRepository(RecoveryCode).findBy({ userId: alice.user.id })).toEqual([]);
        const res = await t.api.verifyOtp('+12015550441', await requestCode(t, '+12015550441')).expect(200);
        expect(Object.keys(res.body).sort()).toEqual(SEED_BODY_KEYS);
        expectProblem(await t.api.removeTotp(alice.tokens.access, { totp_code: '123456' }), 409, 'mfa_not_enrolled');
      });

      it('refuses without a recent authentication', async () => {
        const t = app();
        const alice = await enrol(t, '+12015550442');
        clock.advance(11 * MINUTE);
        const res = await t.api.removeTotp(alice.tokens.access, { totp_code: totpCode(alice.secret) });
        expectProblem(res, 401, 'reauthentication_required');
      });
    });

    it('erases the factor, the recovery codes and open challenges with the account', async () => {
      const t = app();
      const alice = await enrol(t, '+12015550445');
      await startSignIn(t, '+12015550445');
      await t.api.requestAccountDeletion(alice.tokens.access).expect(200);
      await t.api.deleteAccount(alice.tokens.access, t.sms.lastCodeFor('+12015550445')).expect(204);

      for (const table of ['totp_factors', 'recovery_codes', 'mfa_challenges']) {
        const rows = await t.db.query<object[]>(`SELECT * FROM ${table} WHERE user_id = ${alice.user.id}`);
        expect({ table, rows }).toEqual({ table, rows: [] });
      }
    });

    describe('lost-phone recovery', () => {
      it('moves the account to the new number with a recovery code and a code texted there, ending every session', async () => {
        const t = app();
        const alice = await enrol(t, '+12015550451');
        const other = await t.api
          .completeChallenge(await startSignIn(t, '+12015550451'), { recovery_code: alice.recoveryCodes[1] })
          .expect(200);

        const sent = await t.api
          .requestRecovery('+12015550451', '+12015550452', { recovery_code: alice.recoveryCodes[0] })
          .expect(200);
        expect(sent.body).toMatchObject({ message: 'OTP sent successfully', phone_number: '+12015550452' });
        const res = await t.api
          .verifyRecovery('+12015550451', '+12015550452', t.sms.lastCodeFor('+12015550452'))
          .expect(200);

        expect(res.body).toEqual({
          message: 'Account recovered',
          user: { ...alice.user, phone_number: '+12015550452', username: '+12015550452' },
          tokens: { access: expect.any(String), refresh: expect.any(String) },
        });
        expectProblem(await t.api.profile(alice.tokens.access), 401, 'unauthorized');
        expectProblem(await t.api.profile(other.body.tokens.access), 401, 'unauthorized');
        await t.api.profile(res.body.tokens.access).expect(200);
        expect((await userRows(t.db, '+12015550452')).map((u) => u.id)).toEqual([alice.user.id]);
        expect(t.sms.notices.at(-1)).toMatchObject({ to: '+12015550451' });
        const sessions = await sessionRowsOfUser(t.db, alice.user.id);
        expect(sessions.filter((s) => s.revokedAt === null).map((s) => s.id)).toEqual([
          (await sessionRowOf(t.db, res.body.tokens.access)).id,
        ]);
        expect(sessions.filter((s) => s.revokedReason === 'account_recovered')).toHaveLength(2);
        // The factor stays: signing in on the new number still asks for it.
        await startSignIn(t, '+12015550452');
      });

      it('also takes a TOTP code as the proof, once per step', async () => {
        const t = app();
        const alice = await enrol(t, '+12015550453');
        clock.advance(STEP);
        const code = totpCode(alice.secret);
        await t.api.requestRecovery('+12015550453', '+12015550454', { totp_code: code }).expect(200);
        const replay = await t.api.requestRecovery('+12015550453', '+12015550454', { totp_code: code });
        expectProblem(replay, 400, 'otp_invalid');
        await t.api.verifyRecovery('+12015550453', '+12015550454', t.sms.lastCodeFor('+12015550454')).expect(200);
      });

      it('answers otp_invalid alike for a wrong proof, an unknown number and an account without a factor', async () => {
        const t = app();
        await enrol(t, '+12015550455');
        await signIn(t, '+12015550456');
        const proof = { recovery_code: 'AAAAA-AAAAA' };

        for (const phoneNumber of ['+12015550455', '+12015550456', '+12015550457']) {
          const res = await t.api.requestRecovery(phoneNumber, '+12015550458', proof);
          expectProblem(res, 400, 'otp_invalid');
          expect(res.body.detail).toBe('The code is wrong or has already been used.');
        }
        expect(t.sms.countFor('+12015550458')).toBe(0);
      });

      it('caps wrong proofs per number on this route only (ACCOUNT_RECOVERY_FAILURE_LIMIT=3): signing in still works', async () => {
        const t = app();
        const alice = await enrol(t, '+12015550461');
        for (let attempt = 1; attempt <= 3; attempt++) {
          const res = await t.api.requestRecovery('+12015550461', '+12015550462', { recovery_code: 'AAAAA-AAAAA' });
          expectProblem(res, 400, 'otp_invalid');
        }

        const capped = await t.api.requestRecovery('+12015550461', '+12015550462', {
          recovery_code: alice.recoveryCodes[0],
        });
        expectProblem(capped, 429, 'rate_limited');
        const token = await startSignIn(t, '+12015550461');
        await t.api.completeChallenge(token, { recovery_code: alice.recoveryCodes[0] }).expect(200);
      });

      it('binds the code to the account that asked: another account cannot redeem it', async () => {
        const t = app();
        const alice = await enrol(t, '+12015550463');
        await enrol(t, '+12015550464');
        await t.api
          .requestRecovery('+12015550463', '+12015550465', { recovery_code: alice.recoveryCodes[0] })
          .expect(200);
        const code = t.sms.lastCodeFor('+12015550465');

        expectProblem(await t.api.verifyRecovery('+12015550464', '+12015550465', code), 400, 'otp_invalid');
        expectProblem(await t.api.verifyRecovery('+12015550466', '+12015550465', code), 400, 'otp_invalid');
        await t.api.verifyRecovery('+12015550463', '+12015550465', code).expect(200);
      });

      it('refuses a new number another account holds, once the code is proven', async () => {
        const t = app();
        const alice = await enrol(t, '+12015550467');
        await signIn(t, '+12015550468');
        await t.api
          .requestRecovery('+12015550467', '+12015550468', { recovery_code: alice.recoveryCodes[0] })
          .expect(200);

        const res = await t.api.verifyRecovery('+12015550467', '+12015550468', t.sms.lastCodeFor('+12015550468'));
        expectProblem(res, 409, 'phone_number_in_use');
        expect((await userRows(t.db, '+12015550467')).map((u) => u.id)).toEqual([alice.user.id]);
        await t.api.profile(alice.tokens.access).expect(200);
      });

      it('gives the recovery code back when the SMS cannot be sent', async () => {
        const t = app();
        const alice = await enrol(t, '+12015550469');
        t.sms.failing = true;
        try {
          const res = await t.api.requestRecovery('+12015550469', '+12015550470', {
            recovery_code: alice.recoveryCodes[0],
          });
          expectProblem(res, 503, 'sms_delivery_failed');
        } finally {
          t.sms.failing = false;
        }
        expect((await t.api.mfaStatus(alice.tokens.access)).body.recovery_codes_left).toBe(10);
        await t.api
          .requestRecovery('+12015550469', '+12015550470', { recovery_code: alice.recoveryCodes[0] })
          .expect(200);
        expect((await t.api.mfaStatus(alice.tokens.access)).body.recovery_codes_left).toBe(9);
      });
    });
  });

  describe('with MFA_POLICY=required', () => {
    const app = useTestApp(dialect, { env: { MFA_POLICY: 'required' } });
    useClock();

    it('gives a user without a factor seed-shaped tokens that can only enrol one, until they do', async () => {
      const t = app();
      const bob = await signIn(t, '+12015550481');
      expect(Object.keys(bob).sort()).toEqual(SEED_BODY_KEYS);
      expect((await sessionRowOf(t.db, bob.tokens.access)).scope).toBe('mfa_enrolment');

      expectProblem(await t.api.profile(bob.tokens.access), 403, 'mfa_enrolment_required');
      expectProblem(await t.api.sessions(bob.tokens.access), 403, 'mfa_enrolment_required');
      expectProblem(await t.api.requestAccountDeletion(bob.tokens.access), 403, 'mfa_enrolment_required');
      expect((await t.api.mfaStatus(bob.tokens.access).expect(200)).body).toMatchObject({ policy: 'required' });

      const { body } = await t.api.enrolTotp(bob.tokens.access).expect(200);
      await t.api.activateTotp(bob.tokens.access, totpCode(body.secret as string)).expect(200);

      await t.api.profile(bob.tokens.access).expect(200);
      expect((await sessionRowOf(t.db, bob.tokens.access)).scope).toBe('full');
    });

    it('keeps an enrolment-only session so across a refresh', async () => {
      const t = app();
      const bob = await signIn(t, '+12015550482');
      const refreshed = await t.api.refresh(bob.tokens.refresh).expect(200);
      expectProblem(await t.api.profile(refreshed.body.access), 403, 'mfa_enrolment_required');
    });

    it('lets a user with a factor sign in through the challenge with full access', async () => {
      const t = app();
      const bob = await signIn(t, '+12015550483');
      const { body } = await t.api.enrolTotp(bob.tokens.access).expect(200);
      const codes = (await t.api.activateTotp(bob.tokens.access, totpCode(body.secret as string))).body.recovery_codes;

      const token = await startSignIn(t, '+12015550483');
      const res = await t.api.completeChallenge(token, { recovery_code: (codes as string[])[0] }).expect(200);
      await t.api.profile(res.body.tokens.access).expect(200);
    });
  });
});

/** A full session of `who` after their number moved to `phoneNumber`, through the challenge. */
async function enrolledSession(
  t: TestApp,
  phoneNumber: string,
  who: Enrolled,
): Promise<{ access: string; refresh: string }> {
  const token = await startSignIn(t, phoneNumber);
  const res = await t.api.completeChallenge(token, { recovery_code: who.recoveryCodes[2] }).expect(200);
  return res.body.tokens as { access: string; refresh: string };
}
