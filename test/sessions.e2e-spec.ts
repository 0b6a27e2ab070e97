import { sign, type Algorithm } from 'jsonwebtoken';
import { ROUTES } from './helpers/api-client';
import { dialects } from './helpers/databases';
import { latestOtpRow, updateUser, userRows } from './helpers/db-rows';
import { decodeJwt, DEV_JWT_SECRET } from './helpers/jwt';
import { expectProblem } from './helpers/problems';
import { jtiOf, sessionRowOf, sessionRowsOfUser, sidOf, updateSessionOf } from './helpers/sessions';
import { requestCode, signIn, type SignedIn } from './helpers/sign-in';
import { useTestApp } from './helpers/test-app';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const JWT = /^[\w-]+\.[\w-]+\.[\w-]+$/;
const DAY_MS = 86_400_000;

interface Tokens {
  access: string;
  refresh: string;
}

describe.each(dialects())('sessions on %s', (dialect) => {
  describe('with the default settings (REFRESH_REUSE_GRACE=10s, SESSION_MAX_AGE=30d)', () => {
    const app = useTestApp(dialect);

    /** Refreshes and returns the new pair, failing the test unless the answer is 200. */
    async function rotate(refresh: string): Promise<Tokens> {
      const res = await app().api.refresh(refresh).expect(200);
      return res.body as Tokens;
    }

    async function expectAccessWorks(access: string): Promise<void> {
      await app().api.profile(access).expect(200);
    }

    async function expectAccessRefused(access: string): Promise<void> {
      expectProblem(await app().api.profile(access), 401, 'unauthorized');
    }

    describe('sign-in', () => {
      it('starts a session row with the user agent, the client IP, and expires_at = created_at + 30 days', async () => {
        const t = app();
        const before = Date.now();
        const { user, tokens } = await signIn(t, '+12015550100', 'SessionsSpec/1.0 (iPhone; iOS 18.0)');
        const after = Date.now();

        const rows = await sessionRowsOfUser(t.db, user.id);
        expect(rows).toHaveLength(1);
        const [row] = rows;
        expect(row).toEqual({
          id: expect.stringMatching(UUID),
          userId: user.id,
          refreshJti: jtiOf(tokens.refresh),
          previousRefreshJti: null,
          rotatedAt: row.createdAt,
          createdAt: expect.any(Date),
          lastUsedAt: row.createdAt,
          authenticatedAt: row.createdAt,
          expiresAt: new Date(row.createdAt.getTime() + 30 * DAY_MS),
          revokedAt: null,
          revokedReason: null,
          scope: 'full',
          userAgent: 'SessionsSpec/1.0 (iPhone; iOS 18.0)',
          ip: expect.stringMatching(/^(::ffff:)?127\.0\.0\.1$|^::1$/),
        });
        expect(row.createdAt.getTime()).toBeGreaterThanOrEqual(before);
        expect(row.createdAt.getTime()).toBeLessThanOrEqual(after);
      });

      it('records the socket address, not a client-sent X-Forwarded-For, while TRUST_PROXY is off', async () => {
        const t = app();
        const code = await requestCode(t, '+12015550109');
        const res = await t.api.verifyOtp('+12015550109', code).set('X-Forwarded-For', '198.51.100.23').expect(200);

        const row = await sessionRowOf(t.db, (res.body as SignedIn).tokens.refresh);
        expect(row.ip).not.toContain('198.51.100.23');
        expect(row.ip).toMatch(/127\.0\.0\.1$|^::1$/);
      });

      it('puts the session id into both tokens as sid', async () => {
        const t = app();
        const { user, tokens } = await signIn(t, '+12015550101');
        const [row] = await sessionRowsOfUser(t.db, user.id);

        expect(decodeJwt(tokens.access).payload).toMatchObject({ sid: row.id, typ: 'access' });
        expect(decodeJwt(tokens.refresh).payload).toMatchObject({ sid: row.id, typ: 'refresh' });
      });

      it('starts a separate session for each sign-in of the same user', async () => {
        const t = app();
        const first = await signIn(t, '+12015550102');
        const second = await signIn(t, '+12015550102');

        expect(sidOf(second.tokens.access)).not.toBe(sidOf(first.tokens.access));
        expect((await sessionRowsOfUser(t.db, first.user.id)).map((row) => row.id).sort()).toEqual(
          [sidOf(first.tokens.access), sidOf(second.tokens.access)].sort(),
        );
        await expectAccessWorks(first.tokens.access);
        await expectAccessWorks(second.tokens.access);
      });

      it('sets last_login on the users row at every sign-in', async () => {
        const t = app();
        const firstFrom = Date.now();
        const { user } = await signIn(t, '+12015550103');
        const [first] = await userRows(t.db, '+12015550103');
        expect(first.lastLogin?.getTime()).toBeGreaterThanOrEqual(firstFrom);
        expect(first.lastLogin?.getTime()).toBeLessThanOrEqual(Date.now());

        await updateUser(t.db, user.id, { lastLogin: new Date(1_000_000) });
        const againFrom = Date.now();
        await signIn(t, '+12015550103');
        const [again] = await userRows(t.db, '+12015550103');

        expect(again.lastLogin?.getTime()).toBeGreaterThanOrEqual(againFrom);
        expect(again.lastLogin?.getTime()).toBeLessThanOrEqual(Date.now());
      });
    });

    describe('refresh', () => {
      it('answers 200 with a new access and refresh token of the same session', async () => {
        const t = app();
        const { tokens } = await signIn(t, '+12015550104');

        const res = await t.api.refresh(tokens.refresh).expect(200);

        expect(res.headers['content-type']).toMatch(/^application\/json\b/);
        expect(res.body).toEqual({ access: expect.stringMatching(JWT), refresh: expect.stringMatching(JWT) });
        expect(res.body.access).not.toBe(tokens.access);
        expect(res.body.refresh).not.toBe(tokens.refresh);
        expect(decodeJwt(res.body.access).payload).toMatchObject({ typ: 'access', sid: sidOf(tokens.access) });
        expect(decodeJwt(res.body.refresh).payload).toMatchObject({ typ: 'refresh', sid: sidOf(tokens.access) });
        expect(jtiOf(res.body.refresh)).not.toBe(jtiOf(tokens.refresh));
      });

      it('keeps the old access token working (until the session is revoked) next to the new one', async () => {
        const t = app();
        const { tokens } = await signIn(t, '+12015550105');
        const next = await rotate(tokens.refresh);

        await expectAccessWorks(tokens.access);
        await expectAccessWorks(next.access);

        await t.api.logout(next.refresh).expect(204);
        await expectAccessRefused(tokens.access);
        await expectAccessRefused(next.access);
      });

      it('records the rotation: the new jti is current, the replaced one previous, last_used_at moves, expires_at does not', async () => {
        const t = app();
        const { tokens } = await signIn(t, '+12015550106');
        const before = await sessionRowOf(t.db, tokens.refresh);
        const from = Date.now();

        const next = await rotate(tokens.refresh);
        const after = await sessionRowOf(t.db, tokens.refresh);

        expect(after).toMatchObject({
          refreshJti: jtiOf(next.refresh),
          previousRefreshJti: jtiOf(tokens.refresh),
          createdAt: before.createdAt,
          expiresAt: before.expiresAt,
          revokedAt: null,
        });
        expect(after.lastUsedAt.getTime()).toBeGreaterThanOrEqual(from);
        expect(after.rotatedAt).toEqual(after.lastUsedAt);
      });

      it('accepts each newest refresh token in a chain of rotations', async () => {
        const t = app();
        const { tokens } = await signIn(t, '+12015550107');
        let current: Tokens = tokens;
        for (let i = 0; i < 4; i += 1) current = await rotate(current.refresh);

        await expectAccessWorks(current.access);
        expect((await sessionRowOf(t.db, current.refresh)).refreshJti).toBe(jtiOf(current.refresh));
      });

      it('stores only jti values in the session row, never a token or a signature', async () => {
        const t = app();
        const { user, tokens } = await signIn(t, '+12015550108');
        const next = await rotate(tokens.refresh);

        const stored = JSON.stringify(await sessionRowsOfUser(t.db, user.id));
        for (const token of [tokens.access, tokens.refresh, next.access, next.refresh]) {
          const [header, payload, signature] = token.split('.');
          expect(stored).not.toContain(token);
          expect(stored).not.toContain(payload);
          expect(stored).not.toContain(signature);
          expect(stored).not.toContain(`${header}.${payload}`);
        }
        const row = await sessionRowOf(t.db, next.refresh);
        expect([row.refreshJti, row.previousRefreshJti]).toEqual([jtiOf(next.refresh), jtiOf(tokens.refresh)]);
        expect(row.refreshJti).toMatch(UUID);
      });

      it('refuses a body without refresh with 400 validation_failed', async () => {
        const t = app();
        const res = await t.http().post(ROUTES.refresh).send({});

        expectProblem(res, 400, 'validation_failed');
        expect(res.body.errors).toEqual([expect.objectContaining({ field: 'refresh' })]);
      });

      it('refuses a refresh value that is not a JWT with 401 unauthorized', async () => {
        const t = app();
        expectProblem(await t.api.refresh('not-a-jwt'), 401, 'unauthorized');
      });
    });

    describe('reuse detection', () => {
      it('answers the first refresh token replayed after two rotations with 401 refresh_token_reused and revokes the newest tokens', async () => {
        const t = app();
        const { tokens: first } = await signIn(t, '+12015550110');
        const second = await rotate(first.refresh);
        const third = await rotate(second.refresh);

        expectProblem(await t.api.refresh(first.refresh), 401, 'refresh_token_reused');

        await expectAccessRefused(third.access);
        await expectAccessRefused(first.access);
        expectProblem(await t.api.refresh(third.refresh), 401, 'unauthorized');
        const row = await sessionRowOf(t.db, third.refresh);
        expect(row.revokedReason).toBe('refresh_token_reused');
        expect(row.revokedAt).toEqual(expect.any(Date));
      });

      it('revokes only the replayed session: the same user’s other sessions keep working', async () => {
        const t = app();
        const victim = await signIn(t, '+12015550111');
        const other = await signIn(t, '+12015550111');
        const second = await rotate(victim.tokens.refresh);
        await rotate(second.refresh);

        expectProblem(await t.api.refresh(victim.tokens.refresh), 401, 'refresh_token_reused');

        await expectAccessWorks(other.tokens.access);
        await rotate(other.tokens.refresh);
      });

      it('gives two parallel refreshes of the same token 200 each with the identical new pair', async () => {
        const t = app();
        const { tokens } = await signIn(t, '+12015550112');

        const [a, b] = await Promise.all([t.api.refresh(tokens.refresh), t.api.refresh(tokens.refresh)]);

        expect([a.status, b.status]).toEqual([200, 200]);
        expect(a.body).toEqual(b.body);
        const row = await sessionRowOf(t.db, tokens.refresh);
        expect(row).toMatchObject({
          refreshJti: jtiOf(a.body.refresh),
          previousRefreshJti: jtiOf(tokens.refresh),
          revokedAt: null,
        });
        await expectAccessWorks(a.body.access);
        await rotate(a.body.refresh);
      });

      it('gives five parallel refreshes of the same token the identical pair and rotates the session once', async () => {
        const t = app();
        const { tokens } = await signIn(t, '+12015550113');

        const replies = await Promise.all(Array.from({ length: 5 }, () => t.api.refresh(tokens.refresh)));

        expect(replies.map((res) => res.status)).toEqual([200, 200, 200, 200, 200]);
        expect(new Set(replies.map((res) => JSON.stringify(res.body))).size).toBe(1);
        expect(await sessionRowOf(t.db, tokens.refresh)).toMatchObject({
          refreshJti: jtiOf(replies[0].body.refresh),
          previousRefreshJti: jtiOf(tokens.refresh),
          revokedAt: null,
        });
      });

      it('answers the just-replaced token with the same pair again inside the grace window, without revoking', async () => {
        const t = app();
        const { tokens } = await signIn(t, '+12015550114');
        const next = await rotate(tokens.refresh);

        const again = await t.api.refresh(tokens.refresh).expect(200);

        expect(again.body).toEqual(next);
        await expectAccessWorks(next.access);
        expect((await sessionRowOf(t.db, tokens.refresh)).revokedAt).toBeNull();
      });

      it('treats the just-replaced token as reuse once the grace window has passed, revoking the newest tokens', async () => {
        const t = app();
        const { tokens } = await signIn(t, '+12015550115');
        const next = await rotate(tokens.refresh);
        await updateSessionOf(t.db, tokens.refresh, { rotatedAt: new Date(Date.now() - 11_000) });

        expectProblem(await t.api.refresh(tokens.refresh), 401, 'refresh_token_reused');

        await expectAccessRefused(next.access);
        expectProblem(await t.api.refresh(next.refresh), 401, 'unauthorized');
        expect((await sessionRowOf(t.db, tokens.refresh)).revokedReason).toBe('refresh_token_reused');
      });

      it('still accepts the newest refresh token once the grace window has passed', async () => {
        const t = app();
        const { tokens } = await signIn(t, '+12015550116');
        const next = await rotate(tokens.refresh);
        await updateSessionOf(t.db, tokens.refresh, { rotatedAt: new Date(Date.now() - 60_000) });

        const latest = await rotate(next.refresh);

        await expectAccessWorks(latest.access);
      });
    });

    describe('logout', () => {
      it('answers 204 with no body; then the old access token and the refresh token get 401', async () => {
        const t = app();
        const { tokens } = await signIn(t, '+12015550120');

        const res = await t.api.logout(tokens.refresh).expect(204);

        expect(res.text).toBe('');
        await expectAccessRefused(tokens.access);
        expectProblem(await t.api.refresh(tokens.refresh), 401, 'unauthorized');
        const row = await sessionRowOf(t.db, tokens.refresh);
        expect(row.revokedReason).toBe('logout');
        expect(row.revokedAt).toEqual(expect.any(Date));
      });

      it('ends only the current session by default: the user’s other sessions keep working', async () => {
        const t = app();
        const current = await signIn(t, '+12015550121');
        const other = await signIn(t, '+12015550121');

        await t.api.logout(current.tokens.refresh).expect(204);

        await expectAccessRefused(current.tokens.access);
        await expectAccessWorks(other.tokens.access);
      });

      it('with scope others keeps the current session and revokes every other session of the user', async () => {
        const t = app();
        const a = await signIn(t, '+12015550122');
        const current = await signIn(t, '+12015550122');
        const c = await signIn(t, '+12015550122');
        const stranger = await signIn(t, '+12015550123');

        await t.api.logout(current.tokens.refresh, 'others').expect(204);

        await expectAccessWorks(current.tokens.access);
        await rotate(current.tokens.refresh);
        await expectAccessRefused(a.tokens.access);
        await expectAccessRefused(c.tokens.access);
        expectProblem(await t.api.refresh(a.tokens.refresh), 401, 'unauthorized');
        await expectAccessWorks(stranger.tokens.access);
        const reasons = (await sessionRowsOfUser(t.db, a.user.id)).map((row) => [row.id, row.revokedReason]);
        expect(reasons).toEqual(
          expect.arrayContaining([
            [sidOf(a.tokens.access), 'signed_out_elsewhere'],
            [sidOf(current.tokens.access), null],
            [sidOf(c.tokens.access), 'signed_out_elsewhere'],
          ]),
        );
      });

      it('with scope global revokes every session of the user, the current one included, and no one else’s', async () => {
        const t = app();
        const a = await signIn(t, '+12015550124');
        const b = await signIn(t, '+12015550124');
        const stranger = await signIn(t, '+12015550125');

        await t.api.logout(b.tokens.refresh, 'global').expect(204);

        await expectAccessRefused(a.tokens.access);
        await expectAccessRefused(b.tokens.access);
        expectProblem(await t.api.refresh(b.tokens.refresh), 401, 'unauthorized');
        await expectAccessWorks(stranger.tokens.access);
        expect((await sessionRowsOfUser(t.db, a.user.id)).every((row) => row.revokedAt !== null)).toBe(true);
      });

      it('refuses an unknown scope with 400 validation_failed and signs nothing out', async () => {
        const t = app();
        const { tokens } = await signIn(t, '+12015550126');

        const res = await t.api.logout(tokens.refresh, 'everyone');

        expectProblem(res, 400, 'validation_failed');
        expect(res.body.errors).toEqual([expect.objectContaining({ field: 'scope' })]);
        await expectAccessWorks(tokens.access);
      });

      it('refuses an access token in place of the refresh token with 401 and signs nothing out', async () => {
        const t = app();
        const { tokens } = await signIn(t, '+12015550127');

        expectProblem(await t.api.logout(tokens.access), 401, 'unauthorized');

        await expectAccessWorks(tokens.access);
      });

      it('refuses the refresh token of an already ended session with 401, and it cannot sign out the user’s other sessions', async () => {
        const t = app();
        const ended = await signIn(t, '+12015550128');
        const live = await signIn(t, '+12015550128');
        await t.api.logout(ended.tokens.refresh).expect(204);

        expectProblem(await t.api.logout(ended.tokens.refresh, 'global'), 401, 'unauthorized');

        await expectAccessWorks(live.tokens.access);
      });
    });

    describe('session list and revocation', () => {
      it('lists only the caller’s live sessions, newest use first, with current marking the caller’s', async () => {
        const t = app();
        const phone = '+12015550130';
        const laptop = await signIn(t, phone, 'Laptop/1.0');
        const phoneApp = await signIn(t, phone, 'PhoneApp/2.0');
        const ended = await signIn(t, phone, 'Old/0.1');
        await signIn(t, '+12015550131');
        await t.api.logout(ended.tokens.refresh).expect(204);
        await updateSessionOf(t.db, laptop.tokens.access, { lastUsedAt: new Date(Date.now() - 1000) });
        await updateSessionOf(t.db, phoneApp.tokens.access, { lastUsedAt: new Date(Date.now() - 5000) });

        const res = await t.api.sessions(phoneApp.tokens.access).expect(200);

        const laptopRow = await sessionRowOf(t.db, laptop.tokens.access);
        expect(res.body).toEqual({
          sessions: [
            {
              id: laptopRow.id,
              current: false,
              created_at: laptopRow.createdAt.toISOString(),
              last_used_at: laptopRow.lastUsedAt.toISOString(),
              expires_at: laptopRow.expiresAt.toISOString(),
              user_agent: 'Laptop/1.0',
              ip: laptopRow.ip,
            },
            expect.objectContaining({ id: sidOf(phoneApp.tokens.access), current: true, user_agent: 'PhoneApp/2.0' }),
          ],
        });
      });

      it('answers the path without the trailing slash the same way', async () => {
        const t = app();
        const { tokens } = await signIn(t, '+12015550132');

        const res = await t
          .http()
          .get(ROUTES.sessions.replace(/\/$/, ''))
          .set('Authorization', `Bearer ${tokens.access}`);

        expect(res.status).toBe(200);
        expect(res.body.sessions).toEqual([expect.objectContaining({ id: sidOf(tokens.access), current: true })]);
      });

      it('refuses the list without an access token with 401 unauthorized', async () => {
        const t = app();
        expectProblem(await t.api.sessions(), 401, 'unauthorized');
      });

      it('revokes one of the caller’s sessions with 204: its access and refresh tokens stop working, the caller’s do not', async () => {
        const t = app();
        const caller = await signIn(t, '+12015550133');
        const target = await signIn(t, '+12015550133');

        const res = await t.api.revokeSession(caller.tokens.access, sidOf(target.tokens.access)).expect(204);

        expect(res.text).toBe('');
        await expectAccessRefused(target.tokens.access);
        expectProblem(await t.api.refresh(target.tokens.refresh), 401, 'unauthorized');
        await expectAccessWorks(caller.tokens.access);
        expect((await sessionRowOf(t.db, target.tokens.access)).revokedReason).toBe('revoked');
        const listed = await t.api.sessions(caller.tokens.access).expect(200);
        const { sessions } = listed.body as { sessions: { id: string }[] };
        expect(sessions.map((s) => s.id)).toEqual([sidOf(caller.tokens.access)]);
      });

      it('revokes the caller’s own current session when asked to', async () => {
        const t = app();
        const { tokens } = await signIn(t, '+12015550134');

        await t.api.revokeSession(tokens.access, sidOf(tokens.access)).expect(204);

        await expectAccessRefused(tokens.access);
      });

      it('answers another user’s session id with 404 not_found, and that session keeps working', async () => {
        const t = app();
        const attacker = await signIn(t, '+12015550135');
        const victim = await signIn(t, '+12015550136');

        const res = await t.api.revokeSession(attacker.tokens.access, sidOf(victim.tokens.access));

        expectProblem(res, 404, 'not_found');
        await expectAccessWorks(victim.tokens.access);
        await rotate(victim.tokens.refresh);
        expect((await sessionRowOf(t.db, victim.tokens.access)).revokedAt).toBeNull();
      });

      it.each([
        ['a non-UUID', 'not-a-session'],
        ['an integer', '1'],
        ['a UUID that does not exist', '00000000-0000-4000-8000-000000000000'],
        ['a UUID with a trailing character', '00000000-0000-4000-8000-0000000000001'],
        ['an SQL fragment', encodeURIComponent("' OR '1'='1")],
      ])('answers %s as the session id with 404 not_found', async (_label, id) => {
        const t = app();
        const { tokens } = await signIn(t, '+12015550137');

        const res = await t.api.revokeSession(tokens.access, id);

        expectProblem(res, 404, 'not_found');
        await expectAccessWorks(tokens.access);
      });

      it('refuses revocation without an access token with 401 unauthorized', async () => {
        const t = app();
        const { tokens } = await signIn(t, '+12015550138');

        expectProblem(await t.http().delete(ROUTES.session(sidOf(tokens.access))), 401, 'unauthorized');

        await expectAccessWorks(tokens.access);
      });
    });

    describe('deactivated users and the absolute lifetime', () => {
      it('refuses a deactivated user with 401 on the profile, the session list and refresh', async () => {
        const t = app();
        const { user, tokens } = await signIn(t, '+12015550140');
        await updateUser(t.db, user.id, { isActive: false });

        await expectAccessRefused(tokens.access);
        expectProblem(await t.api.sessions(tokens.access), 401, 'unauthorized');
        expectProblem(await t.api.refresh(tokens.refresh), 401, 'unauthorized');
      });

      it('refuses a deactivated user at verify-otp once the code is proven: 403, the code spent, no session, no last_login', async () => {
        const t = app();
        const phone = '+12015550143';
        const { user } = await signIn(t, phone);
        const signedInAt = (await userRows(t.db, phone))[0].lastLogin;
        await updateUser(t.db, user.id, { isActive: false });
        const code = await requestCode(t, phone);

        expectProblem(await t.api.verifyOtp(phone, code), 403, 'account_disabled');

        expect(await sessionRowsOfUser(t.db, user.id)).toHaveLength(1);
        expect((await userRows(t.db, phone))[0].lastLogin).toEqual(signedInAt);
        expect((await latestOtpRow(t.db, phone)).consumedAt).not.toBeNull();
        expectProblem(await t.api.verifyOtp(phone, code), 400, 'otp_invalid');
      });

      it('refuses refresh after the session’s absolute lifetime with 401, however recently it was refreshed', async () => {
        const t = app();
        const { tokens } = await signIn(t, '+12015550141');
        const next = await rotate(tokens.refresh);
        const latest = await rotate(next.refresh);
        await updateSessionOf(t.db, latest.refresh, { expiresAt: new Date(Date.now() - 1000) });

        expectProblem(await t.api.refresh(latest.refresh), 401, 'unauthorized');
        await expectAccessRefused(latest.access);
      });

      it('never extends expires_at when refreshing', async () => {
        const t = app();
        const { tokens } = await signIn(t, '+12015550142');
        const { expiresAt } = await sessionRowOf(t.db, tokens.refresh);

        let current: Tokens = tokens;
        for (let i = 0; i < 3; i += 1) current = await rotate(current.refresh);

        expect((await sessionRowOf(t.db, current.refresh)).expiresAt).toEqual(expiresAt);
      });
    });

    describe('PATCH /api/auth/profile/', () => {
      let me: SignedIn;
      beforeAll(async () => {
        me = await signIn(app(), '+12015550145');
      });

      async function storedUser() {
        const [row] = await userRows(app().db, '+12015550145');
        return row;
      }

      it('trims first_name and last_name, stores them, and answers with the user', async () => {
        const t = app();
        const res = await t.api.updateProfile(me.tokens.access, { first_name: '  Ada ', last_name: '\tLovelace\n' });

        expect(res.status).toBe(200);
        expect(res.body).toEqual({ user: { ...me.user, first_name: 'Ada', last_name: 'Lovelace' } });
        expect(await storedUser()).toMatchObject({ firstName: 'Ada', lastName: 'Lovelace' });
        expect((await t.api.profile(me.tokens.access).expect(200)).body.user).toEqual(res.body.user);
      });

      it('changes only the field that is sent', async () => {
        const t = app();
        await t.api.updateProfile(me.tokens.access, { first_name: 'Ada', last_name: 'Lovelace' }).expect(200);

        const res = await t.api.updateProfile(me.tokens.access, { last_name: 'Byron' }).expect(200);

        expect(res.body.user).toMatchObject({ first_name: 'Ada', last_name: 'Byron' });
        expect(await storedUser()).toMatchObject({ firstName: 'Ada', lastName: 'Byron' });
      });

      it('accepts 150 characters and refuses 151 with 400 validation_failed naming the field', async () => {
        const t = app();
        await t.api.updateProfile(me.tokens.access, { first_name: 'a'.repeat(150) }).expect(200);

        const res = await t.api.updateProfile(me.tokens.access, { first_name: 'b'.repeat(151) });

        expectProblem(res, 400, 'validation_failed');
        expect(res.body.errors).toEqual([expect.objectContaining({ field: 'first_name' })]);
        expect((await storedUser()).firstName).toBe('a'.repeat(150));
      });

      it('measures the length after trimming: 150 characters inside spaces are accepted', async () => {
        const t = app();
        const res = await t.api.updateProfile(me.tokens.access, { last_name: `  ${'c'.repeat(150)}  ` }).expect(200);

        expect(res.body.user.last_name).toBe('c'.repeat(150));
        expect((await storedUser()).lastName).toBe('c'.repeat(150));
      });

      it('refuses a last_name over 150 characters with 400 validation_failed', async () => {
        const t = app();
        const res = await t.api.updateProfile(me.tokens.access, { last_name: 'x'.repeat(151) });

        expectProblem(res, 400, 'validation_failed');
        expect(res.body.errors).toEqual([expect.objectContaining({ field: 'last_name' })]);
      });

      it.each([
        ['phone_number', { phone_number: '+12015550199' }],
        ['username', { username: 'admin' }],
        ['is_active', { is_active: false }],
        ['id', { id: 1 }],
      ])('refuses the unknown field %s with 400 validation_failed, changing nothing', async (field, body) => {
        const t = app();
        const before = await storedUser();

        const res = await t.api.updateProfile(me.tokens.access, { first_name: 'Mallory', ...body });

        expectProblem(res, 400, 'validation_failed');
        expect(res.body.errors).toEqual([expect.objectContaining({ field })]);
        expect(await storedUser()).toEqual(before);
        expect((await t.api.profile(me.tokens.access).expect(200)).body.user.phone_number).toBe('+12015550145');
      });

      it.each([
        ['a number', 42],
        ['a boolean', true],
        ['an array', ['Ada']],
        ['an object', { text: 'Ada' }],
        ['null', null],
      ])('refuses first_name as %s with 400 validation_failed', async (_label, value) => {
        const t = app();
        const before = await storedUser();

        const res = await t.api.updateProfile(me.tokens.access, { first_name: value });

        expectProblem(res, 400, 'validation_failed');
        expect(res.body.errors).toEqual([expect.objectContaining({ field: 'first_name' })]);
        expect(await storedUser()).toEqual(before);
      });

      it('refuses last_name as null with 400 validation_failed', async () => {
        const t = app();
        const res = await t.api.updateProfile(me.tokens.access, { last_name: null });

        expectProblem(res, 400, 'validation_failed');
      });

      it('clears a name sent as whitespace only', async () => {
        const t = app();
        await t.api.updateProfile(me.tokens.access, { first_name: 'Ada' }).expect(200);

        const res = await t.api.updateProfile(me.tokens.access, { first_name: '   ' }).expect(200);

        expect(res.body.user.first_name).toBe('');
        expect((await storedUser()).firstName).toBe('');
      });

      it('answers an empty body with the unchanged user', async () => {
        const t = app();
        const before = await storedUser();

        const res = await t.api.updateProfile(me.tokens.access, {}).expect(200);

        expect(res.body.user).toMatchObject({ first_name: before.firstName, last_name: before.lastName });
        expect(await storedUser()).toEqual(before);
      });

      it('refuses the update without an access token, or with a refresh token, with 401 unauthorized', async () => {
        const t = app();
        expectProblem(await t.http().patch(ROUTES.profile).send({ first_name: 'Eve' }), 401, 'unauthorized');
        expectProblem(await t.api.updateProfile(me.tokens.refresh, { first_name: 'Eve' }), 401, 'unauthorized');
        expect((await storedUser()).firstName).not.toBe('Eve');
      });
    });

    describe('type confusion', () => {
      /** The refresh token's own claims, re-signed by `jsonwebtoken` with `changes` on top. */
      function resign(
        refresh: string,
        changes: Record<string, unknown> = {},
        { algorithm = 'HS256', secret = DEV_JWT_SECRET }: { algorithm?: Algorithm | 'none'; secret?: string } = {},
      ): string {
        const claims = { ...decodeJwt(refresh).payload, ...changes };
        return algorithm === 'none' ? sign(claims, null, { algorithm: 'none' }) : sign(claims, secret, { algorithm });
      }

      it('accepts a refresh token re-signed with the server’s key and claims, so the refusals below are meaningful', async () => {
        const t = app();
        const { tokens } = await signIn(t, '+12015550150');

        await t.api.refresh(resign(tokens.refresh, { nbf: 0 })).expect(200);
      });

      it('refuses an access token on the refresh endpoint with 401 unauthorized and leaves the session alone', async () => {
        const t = app();
        const { tokens } = await signIn(t, '+12015550151');

        expectProblem(await t.api.refresh(tokens.access), 401, 'unauthorized');

        expect((await sessionRowOf(t.db, tokens.refresh)).previousRefreshJti).toBeNull();
        await rotate(tokens.refresh);
      });

      it('refuses a refresh token as a Bearer token with 401 unauthorized', async () => {
        const t = app();
        const { tokens } = await signIn(t, '+12015550152');

        expectProblem(await t.api.profile(tokens.refresh), 401, 'unauthorized');
        expectProblem(await t.api.sessions(tokens.refresh), 401, 'unauthorized');
        expectProblem(await t.api.revokeSession(tokens.refresh, sidOf(tokens.refresh)), 401, 'unauthorized');
        await expectAccessWorks(tokens.access);
      });

      it.each<[string, Record<string, unknown>, { algorithm?: Algorithm | 'none'; secret?: string }]>([
        ['another issuer', { iss: 'someone-else' }, {}],
        ['another audience', { aud: 'someone-else' }, {}],
        ['alg none', {}, { algorithm: 'none' }],
        ['another signing key', {}, { secret: 'another-secret-that-is-at-least-32-bytes' }],
        ['HS512 with the right key', {}, { algorithm: 'HS512' }],
        ['typ access', { typ: 'access' }, {}],
        ['no typ', { typ: undefined }, {}],
        ['an expiry in the past', { exp: Math.floor(Date.now() / 1000) - 10 }, {}],
      ])(
        'refuses a refresh token with %s on the refresh endpoint with 401 unauthorized',
        async (_label, changes, how) => {
          const t = app();
          const { tokens } = await signIn(t, '+12015550153');

          expectProblem(await t.api.refresh(resign(tokens.refresh, changes, how)), 401, 'unauthorized');

          expect((await sessionRowOf(t.db, tokens.refresh)).previousRefreshJti).toBeNull();
          await rotate(tokens.refresh);
        },
      );

      it('refuses a forged refresh token naming another user’s session with 401, leaving that session alone', async () => {
        const t = app();
        const attacker = await signIn(t, '+12015550154');
        const victim = await signIn(t, '+12015550155');
        const forged = resign(attacker.tokens.refresh, { sid: sidOf(victim.tokens.refresh) }, { secret: 'guess' });

        expectProblem(await t.api.refresh(forged), 401, 'unauthorized');

        await rotate(victim.tokens.refresh);
      });
    });
  });

  describe('with REFRESH_REUSE_GRACE=0s and SESSION_MAX_AGE=1h', () => {
    const app = useTestApp(dialect, { env: { REFRESH_REUSE_GRACE: '0s', SESSION_MAX_AGE: '1h' } });

    it('sets expires_at to created_at + SESSION_MAX_AGE', async () => {
      const t = app();
      const { tokens } = await signIn(t, '+12015550160');

      const row = await sessionRowOf(t.db, tokens.refresh);

      expect(row.expiresAt.getTime() - row.createdAt.getTime()).toBe(3_600_000);
      const listed = await t.api.sessions(tokens.access).expect(200);
      expect(listed.body.sessions[0].expires_at).toBe(row.expiresAt.toISOString());
    });

    it('answers a second sequential use of the same refresh token with 401 refresh_token_reused and revokes the session', async () => {
      const t = app();
      const { tokens } = await signIn(t, '+12015550161');
      const next = (await t.api.refresh(tokens.refresh).expect(200)).body as Tokens;

      expectProblem(await t.api.refresh(tokens.refresh), 401, 'refresh_token_reused');

      expectProblem(await t.api.profile(next.access), 401, 'unauthorized');
      expectProblem(await t.api.refresh(next.refresh), 401, 'unauthorized');
      expect((await sessionRowOf(t.db, tokens.refresh)).revokedReason).toBe('refresh_token_reused');
    });

    it.each(['local', 'others', 'global'])(
      'refuses a logout (%s) with a rotated-out refresh token as a replay: 401, only that session revoked',
      async (scope) => {
        const t = app();
        const phone = `+1201555017${['local', 'others', 'global'].indexOf(scope)}`;
        const elsewhere = await signIn(t, phone);
        const { tokens } = await signIn(t, phone);
        const next = (await t.api.refresh(tokens.refresh).expect(200)).body as Tokens;

        expectProblem(await t.api.logout(tokens.refresh, scope), 401, 'refresh_token_reused');

        expect((await sessionRowOf(t.db, tokens.refresh)).revokedReason).toBe('refresh_token_reused');
        expectProblem(await t.api.profile(next.access), 401, 'unauthorized');
        await t.api.profile(elsewhere.tokens.access).expect(200);
        expect((await sessionRowOf(t.db, elsewhere.tokens.refresh)).revokedAt).toBeNull();
      },
    );

    it('accepts only the newest refresh token of a chain', async () => {
      const t = app();
      const { tokens } = await signIn(t, '+12015550162');
      const second = (await t.api.refresh(tokens.refresh).expect(200)).body as Tokens;
      const third = (await t.api.refresh(second.refresh).expect(200)).body as Tokens;

      const res = await t.api.refresh(third.refresh).expect(200);

      await t.api.profile(res.body.access).expect(200);
    });
  });
});
