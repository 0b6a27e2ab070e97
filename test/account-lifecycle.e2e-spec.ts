import { OtpCode } from '../src/otp/otp-code.entity';
import { Session } from '../src/sessions/session.entity';
import { User } from '../src/users/user.entity';
import { useClock } from './helpers/clock';
import { dialects } from './helpers/databases';
import { otpRows, userRows } from './helpers/db-rows';
import { expectProblem } from './helpers/problems';
import { sessionRowOf, sessionRowsOfUser } from './helpers/sessions';
import { requestCode, signIn, wrongCode, type SignedIn } from './helpers/sign-in';
import { useTestApp, type TestApp } from './helpers/test-app';

const MINUTE = 60_000;

/** Re-authenticates the session of `access` with the code texted to `phoneNumber`. */
async function reauthenticate(t: TestApp, access: string, phoneNumber: string): Promise<void> {
  await t.api.reauthenticate(access).expect(200);
  await t.api.verifyReauthentication(access, t.sms.lastCodeFor(phoneNumber)).expect(200);
}

/** Requests a change of `who`'s number to `to` and returns the code texted there. */
async function changeCode(t: TestApp, who: SignedIn, to: string): Promise<string> {
  await t.api.requestPhoneChange(who.tokens.access, to).expect(200);
  return t.sms.lastCodeFor(to);
}

async function deletionCode(t: TestApp, who: SignedIn): Promise<string> {
  await t.api.requestAccountDeletion(who.tokens.access).expect(200);
  return t.sms.lastCodeFor(who.user.phone_number);
}

describe.each(dialects())('account lifecycle on %s', (dialect) => {
  describe('with the default settings (REAUTH_MAX_AGE=10m, PHONE_CHANGE_REVOKE=others)', () => {
    const app = useTestApp(dialect);
    const clock = useClock();

    describe('re-authentication', () => {
      it("texts a code to the caller's number whose redemption marks the session as authenticated now", async () => {
        const t = app();
        const alice = await signIn(t, '+12015550301');
        clock.advance(12 * MINUTE);

        const sent = await t.api.reauthenticate(alice.tokens.access, { locale: 'es' }).expect(200);
        expect(sent.body).toMatchObject({ message: 'OTP sent successfully', phone_number: '+12015550301' });
        expect(t.sms.sent.at(-1)).toMatchObject({ to: '+12015550301', locale: 'es' });
        const verified = await t.api
          .verifyReauthentication(alice.tokens.access, t.sms.lastCodeFor('+12015550301'))
          .expect(200);

        expect(verified.body).toEqual({ message: 'Re-authenticated', authenticated_at: new Date().toISOString() });
        expect((await sessionRowOf(t.db, alice.tokens.access)).authenticatedAt).toEqual(new Date());
      });

      it('needs a bearer token', async () => {
        expectProblem(await app().http().post('/api/auth/reauthenticate/').send({}), 401, 'unauthorized');
      });
    });

    describe('the recent-authentication gate', () => {
      it('lets sensitive actions through until REAUTH_MAX_AGE after sign-in, then asks for re-authentication', async () => {
        const t = app();
        const alice = await signIn(t, '+12015550302');

        clock.advance(10 * MINUTE - 1000);
        await t.api.requestPhoneChange(alice.tokens.access, '+12015550303').expect(200);
        await t.api.requestAccountDeletion(alice.tokens.access).expect(200);

        clock.advance(2000);
        expectProblem(
          await t.api.requestPhoneChange(alice.tokens.access, '+12015550303'),
          401,
          'reauthentication_required',
        );
        expectProblem(await t.api.requestAccountDeletion(alice.tokens.access), 401, 'reauthentication_required');
        expectProblem(await t.api.deleteAccount(alice.tokens.access, '000000'), 401, 'reauthentication_required');
        // The profile is not sensitive: the session itself is still good.
        await t.api.profile(alice.tokens.access).expect(200);

        await reauthenticate(t, alice.tokens.access, '+12015550302');
        await t.api.requestPhoneChange(alice.tokens.access, '+12015550303').expect(200);
      });

      it('counts per session: re-authenticating one device does not unlock another', async () => {
        const t = app();
        const phone = await signIn(t, '+12015550304');
        const laptop = await signIn(t, '+12015550304');
        clock.advance(11 * MINUTE);

        await reauthenticate(t, phone.tokens.access, '+12015550304');

        await t.api.requestAccountDeletion(phone.tokens.access).expect(200);
        expectProblem(await t.api.requestAccountDeletion(laptop.tokens.access), 401, 'reauthentication_required');
      });
    });

    describe('purpose-bound codes', () => {
      it('never lets a sign-in code re-authenticate, nor a re-authentication code sign in', async () => {
        const t = app();
        const alice = await signIn(t, '+12015550305');

        const signInCode = await requestCode(t, '+12015550305');
        expectProblem(await t.api.verifyReauthentication(alice.tokens.access, signInCode), 400, 'otp_invalid');

        await t.api.reauthenticate(alice.tokens.access).expect(200);
        const reauthCode = t.sms.lastCodeFor('+12015550305');
        expectProblem(await t.api.verifyOtp('+12015550305', reauthCode), 400, 'otp_invalid');

        // Each still works for its own purpose: neither retired the other.
        await t.api.verifyReauthentication(alice.tokens.access, reauthCode).expect(200);
        await t.api.verifyOtp('+12015550305', signInCode).expect(200);
      });

      it('never lets a re-authentication code delete the account, nor a deletion code re-authenticate', async () => {
        const t = app();
        const alice = await signIn(t, '+12015550306');

        await t.api.reauthenticate(alice.tokens.access).expect(200);
        const reauthCode = t.sms.lastCodeFor('+12015550306');
        const deleteCode = await deletionCode(t, alice);

        expectProblem(await t.api.deleteAccount(alice.tokens.access, reauthCode), 400, 'otp_invalid');
        expectProblem(await t.api.verifyReauthentication(alice.tokens.access, deleteCode), 400, 'otp_invalid');
        expect(await userRows(t.db, '+12015550306')).toHaveLength(1);
      });

      it('never lets a change code sign in to the new number, nor a sign-in code for it complete the change', async () => {
        const t = app();
        const alice = await signIn(t, '+12015550307');
        const code = await changeCode(t, alice, '+12015550308');

        expectProblem(await t.api.verifyOtp('+12015550308', code), 400, 'otp_invalid');
        expect(await userRows(t.db, '+12015550308')).toEqual([]);

        const signInCode = await requestCode(t, '+12015550308');
        expectProblem(
          await t.api.verifyPhoneChange(alice.tokens.access, '+12015550308', signInCode),
          400,
          'otp_invalid',
        );
        await t.api.verifyPhoneChange(alice.tokens.access, '+12015550308', code).expect(200);
      });

      it("makes user A's change code worthless to user B, even for the same new number", async () => {
        const t = app();
        const alice = await signIn(t, '+12015550309');
        const bob = await signIn(t, '+12015550310');
        const alicesCode = await changeCode(t, alice, '+12015550311');

        expectProblem(await t.api.verifyPhoneChange(bob.tokens.access, '+12015550311', alicesCode), 400, 'otp_invalid');
        const bobsCode = await changeCode(t, bob, '+12015550311');
        if (bobsCode !== alicesCode) {
          expectProblem(
            await t.api.verifyPhoneChange(bob.tokens.access, '+12015550311', alicesCode),
            400,
            'otp_invalid',
          );
        }

        expect((await t.api.profile(bob.tokens.access).expect(200)).body.user.phone_number).toBe('+12015550310');
        // Bob's guesses did not touch Alice's code, which still moves her.
        await t.api.verifyPhoneChange(alice.tokens.access, '+12015550311', alicesCode).expect(200);
      });

      it('counts wrong change codes against the attempt cap like any other code', async () => {
        const t = app();
        const alice = await signIn(t, '+12015550312');
        const code = await changeCode(t, alice, '+12015550313');

        for (let guess = 0; guess < 5; guess++) {
          expectProblem(
            await t.api.verifyPhoneChange(alice.tokens.access, '+12015550313', wrongCode(code)),
            400,
            'otp_invalid',
          );
        }
        expectProblem(
          await t.api.verifyPhoneChange(alice.tokens.access, '+12015550313', code),
          429,
          'otp_attempts_exceeded',
        );
      });
    });

    describe('phone-number change', () => {
      it('moves the account to the new number, returns it with a fresh pair, and texts the old number a notice', async () => {
        const t = app();
        const alice = await signIn(t, '+12015550314');
        const code = await changeCode(t, alice, '+12015550315');

        const res = await t.api
          .verifyPhoneChange(alice.tokens.access, '+1 (201) 555-0315', code)
          .set('Accept-Language', 'fr-CA,fr;q=0.9')
          .expect(200);

        expect(res.body).toMatchObject({
          message: 'Phone number changed',
          user: { id: alice.user.id, phone_number: '+12015550315', username: '+12015550315' },
          tokens: { access: expect.any(String), refresh: expect.any(String) },
        });
        expect((await t.api.profile(res.body.tokens.access).expect(200)).body.user.phone_number).toBe('+12015550315');
        const notices = t.sms.notices.filter((notice) => notice.to === '+12015550314');
        expect(notices).toEqual([{ to: '+12015550314', locale: 'fr', body: expect.stringContaining('a été modifié') }]);
        expect(notices[0].body).not.toMatch(/\d{4}/);
        // The new number signs in to the same account; the old one is free for a new user.
        const again = await signIn(t, '+12015550315');
        expect(again).toMatchObject({ is_new_user: false, user: { id: alice.user.id } });
        expect((await signIn(t, '+12015550314')).is_new_user).toBe(true);
      });

      it("ends the user's other sessions, whose refresh and access tokens answer 401, and keeps the caller's", async () => {
        const t = app();
        const alice = await signIn(t, '+12015550316');
        const other = await signIn(t, '+12015550316');
        const code = await changeCode(t, alice, '+12015550317');

        const res = await t.api.verifyPhoneChange(alice.tokens.access, '+12015550317', code).expect(200);

        expectProblem(await t.api.profile(other.tokens.access), 401, 'unauthorized');
        expectProblem(await t.api.refresh(other.tokens.refresh), 401, 'unauthorized');
        expect(await sessionRowOf(t.db, other.tokens.access)).toMatchObject({ revokedReason: 'phone_number_changed' });
        await t.api.profile(alice.tokens.access).expect(200);
        await t.api.refresh(res.body.tokens.refresh).expect(200);
      });

      it('answers the request alike whether or not another account has the number, and 409 after the code', async () => {
        const t = app();
        const alice = await signIn(t, '+12015550318');
        await signIn(t, '+12015550319');

        const taken = await t.api.requestPhoneChange(alice.tokens.access, '+12015550319').expect(200);
        const free = await t.api.requestPhoneChange(alice.tokens.access, '+12015550320').expect(200);
        expect(Object.keys(taken.body)).toEqual(Object.keys(free.body));
        expect({ ...taken.body, phone_number: 'x' }).toEqual({ ...free.body, phone_number: 'x' });

        const code = t.sms.lastCodeFor('+12015550319');
        expectProblem(
          await t.api.verifyPhoneChange(alice.tokens.access, '+12015550319', code),
          409,
          'phone_number_in_use',
        );
        expect((await t.api.profile(alice.tokens.access).expect(200)).body.user.phone_number).toBe('+12015550318');
        expect(t.sms.notices.filter((notice) => notice.to === '+12015550318')).toEqual([]);
      });

      it('refuses the same number, and numbers send policy refuses, before texting anything', async () => {
        const t = app();
        const alice = await signIn(t, '+12015550321');
        const texts = t.sms.sent.length;

        expectProblem(await t.api.requestPhoneChange(alice.tokens.access, '+1 201 555 0321'), 400, 'same_phone_number');
        expectProblem(
          await t.api.verifyPhoneChange(alice.tokens.access, '+12015550321', '123456'),
          400,
          'same_phone_number',
        );
        expectProblem(await t.api.requestPhoneChange(alice.tokens.access, '+1 555'), 400, 'invalid_phone_number');
        expectProblem(await t.api.requestPhoneChange(alice.tokens.access, ''), 400, 'validation_failed');
        expect(t.sms.sent.length).toBe(texts);
      });

      it('lets exactly one of two users racing to claim one number have it; the other gets 409', async () => {
        const t = app();
        const alice = await signIn(t, '+12015550322');
        const bob = await signIn(t, '+12015550323');
        const alicesCode = await changeCode(t, alice, '+12015550324');
        const bobsCode = await changeCode(t, bob, '+12015550324');

        const answers = await Promise.all([
          t.api.verifyPhoneChange(alice.tokens.access, '+12015550324', alicesCode),
          t.api.verifyPhoneChange(bob.tokens.access, '+12015550324', bobsCode),
        ]);

        expect(answers.map((res) => res.status).sort()).toEqual([200, 409]);
        expectProblem(
          answers.find((res) => res.status === 409)!,
          409,
          'phone_number_in_use',
        );
        const [owner] = await userRows(t.db, '+12015550324');
        expect(owner.id).toBe(answers.find((res) => res.status === 200)!.body.user.id);
      });

      it('changes back to the previous number', async () => {
        const t = app();
        const alice = await signIn(t, '+12015550325');
        const moved = await t.api
          .verifyPhoneChange(alice.tokens.access, '+12015550326', await changeCode(t, alice, '+12015550326'))
          .expect(200);
        const access = moved.body.tokens.access as string;

        await t.api.requestPhoneChange(access, '+12015550325').expect(200);
        const back = await t.api
          .verifyPhoneChange(access, '+12015550325', t.sms.lastCodeFor('+12015550325'))
          .expect(200);

        expect(back.body.user).toMatchObject({ id: alice.user.id, phone_number: '+12015550325' });
      });
    });

    describe('account deletion', () => {
      it('erases the user, their sessions and codes at once, and the number signs up again as a new user', async () => {
        const t = app();
        const alice = await signIn(t, '+12015550327');
        const other = await signIn(t, '+12015550327');
        await changeCode(t, alice, '+12015550328');
        const code = await deletionCode(t, alice);

        await t.api.deleteAccount(alice.tokens.access, code).expect(204);

        expect(await t.db.getRepository(User).findBy({ id: alice.user.id })).toEqual([]);
        expect(await t.db.getRepository(Session).findBy({ userId: alice.user.id })).toEqual([]);
        expect(await t.db.getRepository(OtpCode).findBy({ userId: alice.user.id })).toEqual([]);
        expect(await otpRows(t.db, '+12015550327')).toEqual([]);
        for (const tokens of [alice.tokens, other.tokens]) {
          expectProblem(await t.api.profile(tokens.access), 401, 'unauthorized');
          expectProblem(await t.api.refresh(tokens.refresh), 401, 'unauthorized');
        }
        const again = await signIn(t, '+12015550327');
        expect(again.is_new_user).toBe(true);
        expect(again.user.id).not.toBe(alice.user.id);
      });

      it('keeps the account when the code is wrong', async () => {
        const t = app();
        const alice = await signIn(t, '+12015550329');
        const code = await deletionCode(t, alice);

        expectProblem(await t.api.deleteAccount(alice.tokens.access, wrongCode(code)), 400, 'otp_invalid');
        expectProblem(await t.api.deleteAccount(alice.tokens.access, 'abc'), 400, 'validation_failed');

        expect(await userRows(t.db, '+12015550329')).toHaveLength(1);
        await t.api.profile(alice.tokens.access).expect(200);
      });
    });
  });

  describe('with PHONE_CHANGE_REVOKE=all and PHONE_CHANGE_DAILY_LIMIT=1', () => {
    const app = useTestApp(dialect, { env: { PHONE_CHANGE_REVOKE: 'all', PHONE_CHANGE_DAILY_LIMIT: '1' } });

    it("ends every session, the caller's too, and signs the caller in to a new one", async () => {
      const t = app();
      const alice = await signIn(t, '+12015550330');
      const code = await changeCode(t, alice, '+12015550331');

      const res = await t.api.verifyPhoneChange(alice.tokens.access, '+12015550331', code).expect(200);

      expectProblem(await t.api.profile(alice.tokens.access), 401, 'unauthorized');
      await t.api.profile(res.body.tokens.access).expect(200);
      const sessions = await sessionRowsOfUser(t.db, alice.user.id);
      expect(sessions.filter((s) => s.revokedAt === null).map((s) => s.id)).toEqual([
        (await sessionRowOf(t.db, res.body.tokens.access)).id,
      ]);
    });

    it('refuses a second change the same day with 429 rate_limited', async () => {
      const t = app();
      const alice = await signIn(t, '+12015550332');
      const moved = await t.api
        .verifyPhoneChange(alice.tokens.access, '+12015550333', await changeCode(t, alice, '+12015550333'))
        .expect(200);

      const res = await t.api.requestPhoneChange(moved.body.tokens.access, '+12015550334');

      expectProblem(res, 429, 'rate_limited');
      expect(res.body.detail).toMatch(/PHONE_CHANGE_DAILY_LIMIT/);
    });
  });

  describe('with PHONE_CHANGE_REVOKE=none', () => {
    const app = useTestApp(dialect, { env: { PHONE_CHANGE_REVOKE: 'none' } });

    it("keeps the user's other sessions", async () => {
      const t = app();
      const alice = await signIn(t, '+12015550335');
      const other = await signIn(t, '+12015550335');

      await t.api
        .verifyPhoneChange(alice.tokens.access, '+12015550336', await changeCode(t, alice, '+12015550336'))
        .expect(200);

      await t.api.profile(other.tokens.access).expect(200);
      await t.api.refresh(other.tokens.refresh).expect(200);
    });
  });
});
