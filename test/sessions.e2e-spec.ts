import { sign, type Algorithm } from 'jsonwebtoken';
import { dialects } from './helpers/databases';
import { query, userRows } from './helpers/db-rows';
import { decodeJwt, DEV_JWT_SECRET } from './helpers/jwt';
import { expectProblem } from './helpers/problems';
import {
  jtiOf,
  sessionRowOf,
  sessionRowsOfUser,
  sidOf,
  signInWithUserAgent,
  updateSessionOf,
} from './helpers/sessions';
import { requestCode, signIn, type SignedIn } from './helpers/sign-in';
import { createTestApp, type TestApp } from './helpers/test-app';

const REFRESH = '/api/auth/token/refresh/';
const LOGOUT = '/api/auth/logout/';
const SESSIONS = '/api/auth/sessions/';
const PROFILE = '/api/auth/profile/';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const JWT = /^[\w-]+\.[\w-]+\.[\w-]+$/;
const DAY_MS = 86_400_000;

interface Tokens {
  access: string;
  refresh: string;
}

/** The routes of this issue, bound to one app. */
function client(t: () => TestApp) {
  const bearer = (access: string) => `Bearer ${access}`;
  return {
    refresh: (refresh: string) => t().http().post(REFRESH).send({ refresh }),
    logout: (refresh: string, scope?: string) =>
      t()
        .http()
        .post(LOGOUT)
        .send(scope === undefined ? { refresh } : { refresh, scope }),
    profile: (access: string) => t().http().get(PROFILE).set('Authorization', bearer(access)),
    patchProfile: (access: string, body: unknown) =>
      t()
        .http()
        .patch(PROFILE)
        .set('Authorization', bearer(access))
        .send(body as object),
    listSessions: (access: string) => t().http().get(SESSIONS).set('Authorization', bearer(access)),
    revokeSession: (access: string, id: string) =>
      t().http().delete(`${SESSIONS}${id}/`).set('Authorization', bearer(access)),
  };
}

describe.each(dialects())('sessions on %s', (dialect) => {
  describe('with the default settings (REFRESH_REUSE_GRACE=10s, SESSION_MAX_AGE=30d)', () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await createTestApp(dialect);
    });
    afterAll(() => t?.close());

    const api = client(() => t);

    /** Refreshes and returns the new pair, failing the test unless the answer is 200. */
    async function rotate(refresh: string): Promise<Tokens> {
      const res = await api.refresh(refresh).expect(200);
      return res.body as Tokens;
    }

    async function expectAccessWorks(access: string): Promise<void> {
      await api.profile(access).expect(200);
    }

    async function expectAccessRefused(access: string): Promise<void> {
      expectProblem(await api.profile(access), 401, 'unauthorized');
    }

    describe('sign-in', () => {
      it('starts a session row with the user agent, the client IP, and expires_at = created_at + 30 days', async () => {
        const before = Date.now();
        const { user, tokens } = await signInWithUserAgent(t, '+12015550100', 'SessionsSpec/1.0 (iPhone; iOS 18.0)');
        const after = Date.now();

        const rows = await sessionRowsOfUser(t.db, user.id);
        expect(rows).toHaveLength(1);
        const [row] = rows;
        expect(row).toEqual({
          id: expect.stringMatching(UUID),
          user_id: user.id,
          refresh_jti: jtiOf(tokens.refresh),
          previous_refresh_jti: null,
          rotated_at: row.created_at,
          created_at: expect.any(Number),
          last_used_at: row.created_at,
          expires_at: row.created_at + 30 * DAY_MS,
          revoked_at: null,
          revoked_reason: null,
          user_agent: 'SessionsSpec/1.0 (iPhone; iOS 18.0)',
          ip: expect.stringMatching(/^(::ffff:)?127\.0\.0\.1$|^::1$/),
        });
        expect(row.created_at).toBeGreaterThanOrEqual(before);
        expect(row.created_at).toBeLessThanOrEqual(after);
      });

      it('records the socket address, not a client-sent X-Forwarded-For, while TRUST_PROXY is off', async () => {
        const code = await requestCode(t, '+12015550109');
        const res = await t
          .http()
          .post('/api/auth/verify-otp/')
          .set('X-Forwarded-For', '198.51.100.23')
          .send({ phone_number: '+12015550109', otp_code: code })
          .expect(200);

        const row = await sessionRowOf(t.db, (res.body as SignedIn).tokens.refresh);
        expect(row.ip).not.toContain('198.51.100.23');
        expect(row.ip).toMatch(/127\.0\.0\.1$|^::1$/);
      });

      it('puts the session id into both tokens as sid', async () => {
        const { user, tokens } = await signIn(t, '+12015550101');
        const [row] = await sessionRowsOfUser(t.db, user.id);

        expect(decodeJwt(tokens.access).payload).toMatchObject({ sid: row.id, typ: 'access' });
        expect(decodeJwt(tokens.refresh).payload).toMatchObject({ sid: row.id, typ: 'refresh' });
      });

      it('starts a separate session for each sign-in of the same user', async () => {
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
        const firstFrom = Date.now();
        const { user } = await signIn(t, '+12015550103');
        const [first] = await userRows(t.db, '+12015550103');
        expect(first.last_login).toBeGreaterThanOrEqual(firstFrom);
        expect(first.last_login).toBeLessThanOrEqual(Date.now());

        await query(t.db, 'UPDATE users SET last_login = :past WHERE id = :id', { past: 1_000_000, id: user.id });
        const againFrom = Date.now();
        await signIn(t, '+12015550103');
        const [again] = await userRows(t.db, '+12015550103');

        expect(again.last_login).toBeGreaterThanOrEqual(againFrom);
        expect(again.last_login).toBeLessThanOrEqual(Date.now());
      });
    });

    describe('refresh', () => {
      it('answers 200 with a new access and refresh token of the same session', async () => {
        const { tokens } = await signIn(t, '+12015550104');

        const res = await api.refresh(tokens.refresh).expect(200);

        expect(res.headers['content-type']).toMatch(/^application\/json\b/);
        expect(res.body).toEqual({ access: expect.stringMatching(JWT), refresh: expect.stringMatching(JWT) });
        expect(res.body.access).not.toBe(tokens.access);
        expect(res.body.refresh).not.toBe(tokens.refresh);
        expect(decodeJwt(res.body.access).payload).toMatchObject({ typ: 'access', sid: sidOf(tokens.access) });
        expect(decodeJwt(res.body.refresh).payload).toMatchObject({ typ: 'refresh', sid: sidOf(tokens.access) });
        expect(jtiOf(res.body.refresh)).not.toBe(jtiOf(tokens.refresh));
      });

      it('keeps the old access token working (until the session is revoked) next to the new one', async () => {
        const { tokens } = await signIn(t, '+12015550105');
        const next = await rotate(tokens.refresh);

        await expectAccessWorks(tokens.access);
        await expectAccessWorks(next.access);

        await api.logout(next.refresh).expect(204);
        await expectAccessRefused(tokens.access);
        await expectAccessRefused(next.access);
      });

      it('records the rotation: the new jti is current, the replaced one previous, last_used_at moves, expires_at does not', async () => {
        const { tokens } = await signIn(t, '+12015550106');
        const before = await sessionRowOf(t.db, tokens.refresh);
        const from = Date.now();

        const next = await rotate(tokens.refresh);
        const after = await sessionRowOf(t.db, tokens.refresh);

        expect(after).toMatchObject({
          refresh_jti: jtiOf(next.refresh),
          previous_refresh_jti: jtiOf(tokens.refresh),
          created_at: before.created_at,
          expires_at: before.expires_at,
          revoked_at: null,
        });
        expect(after.last_used_at).toBeGreaterThanOrEqual(from);
        expect(after.rotated_at).toBe(after.last_used_at);
      });

      it('accepts each newest refresh token in a chain of rotations', async () => {
        const { tokens } = await signIn(t, '+12015550107');
        let current: Tokens = tokens;
        for (let i = 0; i < 4; i += 1) current = await rotate(current.refresh);

        await expectAccessWorks(current.access);
        expect((await sessionRowOf(t.db, current.refresh)).refresh_jti).toBe(jtiOf(current.refresh));
      });

      it('stores only jti values in the session row, never a token or a signature', async () => {
        const { user, tokens } = await signIn(t, '+12015550108');
        const next = await rotate(tokens.refresh);

        const rows = await query(t.db, 'SELECT * FROM sessions WHERE user_id = :id', { id: user.id });
        const stored = JSON.stringify(rows);
        for (const token of [tokens.access, tokens.refresh, next.access, next.refresh]) {
          const [header, payload, signature] = token.split('.');
          expect(stored).not.toContain(token);
          expect(stored).not.toContain(payload);
          expect(stored).not.toContain(signature);
          expect(stored).not.toContain(`${header}.${payload}`);
        }
        const row = await sessionRowOf(t.db, next.refresh);
        expect([row.refresh_jti, row.previous_refresh_jti]).toEqual([jtiOf(next.refresh), jtiOf(tokens.refresh)]);
        expect(row.refresh_jti).toMatch(UUID);
      });

      it('refuses a body without refresh with 400 validation_failed', async () => {
        const res = await t.http().post(REFRESH).send({});

        expectProblem(res, 400, 'validation_failed');
        expect(res.body.errors).toEqual([expect.objectContaining({ field: 'refresh' })]);
      });

      it('refuses a refresh value that is not a JWT with 401 unauthorized', async () => {
        expectProblem(await api.refresh('not-a-jwt'), 401, 'unauthorized');
      });
    });

    describe('reuse detection', () => {
      it('answers the first refresh token replayed after two rotations with 401 refresh_token_reused and revokes the newest tokens', async () => {
        const { tokens: first } = await signIn(t, '+12015550110');
        const second = await rotate(first.refresh);
        const third = await rotate(second.refresh);

        expectProblem(await api.refresh(first.refresh), 401, 'refresh_token_reused');

        await expectAccessRefused(third.access);
        await expectAccessRefused(first.access);
        expectProblem(await api.refresh(third.refresh), 401, 'unauthorized');
        const row = await sessionRowOf(t.db, third.refresh);
        expect(row.revoked_reason).toBe('refresh_token_reused');
        expect(row.revoked_at).toEqual(expect.any(Number));
      });

      it('revokes only the replayed session: the same user’s other sessions keep working', async () => {
        const victim = await signIn(t, '+12015550111');
        const other = await signIn(t, '+12015550111');
        const second = await rotate(victim.tokens.refresh);
        await rotate(second.refresh);

        expectProblem(await api.refresh(victim.tokens.refresh), 401, 'refresh_token_reused');

        await expectAccessWorks(other.tokens.access);
        await rotate(other.tokens.refresh);
      });

      it('gives two parallel refreshes of the same token 200 each with the identical new pair', async () => {
        const { tokens } = await signIn(t, '+12015550112');

        const [a, b] = await Promise.all([api.refresh(tokens.refresh), api.refresh(tokens.refresh)]);

        expect([a.status, b.status]).toEqual([200, 200]);
        expect(a.body).toEqual(b.body);
        const row = await sessionRowOf(t.db, tokens.refresh);
        expect(row).toMatchObject({
          refresh_jti: jtiOf(a.body.refresh),
          previous_refresh_jti: jtiOf(tokens.refresh),
          revoked_at: null,
        });
        await expectAccessWorks(a.body.access);
        await rotate(a.body.refresh);
      });

      it('gives five parallel refreshes of the same token the identical pair and rotates the session once', async () => {
        const { tokens } = await signIn(t, '+12015550113');

        const replies = await Promise.all(Array.from({ length: 5 }, () => api.refresh(tokens.refresh)));

        expect(replies.map((res) => res.status)).toEqual([200, 200, 200, 200, 200]);
        expect(new Set(replies.map((res) => JSON.stringify(res.body))).size).toBe(1);
        expect(await sessionRowOf(t.db, tokens.refresh)).toMatchObject({
          refresh_jti: jtiOf(replies[0].body.refresh),
          previous_refresh_jti: jtiOf(tokens.refresh),
          revoked_at: null,
        });
      });

      it('answers the just-replaced token with the same pair again inside the grace window, without revoking', async () => {
        const { tokens } = await signIn(t, '+12015550114');
        const next = await rotate(tokens.refresh);

        const again = await api.refresh(tokens.refresh).expect(200);

        expect(again.body).toEqual(next);
        await expectAccessWorks(next.access);
        expect((await sessionRowOf(t.db, tokens.refresh)).revoked_at).toBeNull();
      });

      it('treats the just-replaced token as reuse once the grace window has passed, revoking the newest tokens', async () => {
        const { tokens } = await signIn(t, '+12015550115');
        const next = await rotate(tokens.refresh);
        await updateSessionOf(t.db, tokens.refresh, { rotated_at: Date.now() - 11_000 });

        expectProblem(await api.refresh(tokens.refresh), 401, 'refresh_token_reused');

        await expectAccessRefused(next.access);
        expectProblem(await api.refresh(next.refresh), 401, 'unauthorized');
        expect((await sessionRowOf(t.db, tokens.refresh)).revoked_reason).toBe('refresh_token_reused');
      });

      it('still accepts the newest refresh token once the grace window has passed', async () => {
        const { tokens } = await signIn(t, '+12015550116');
        const next = await rotate(tokens.refresh);
        await updateSessionOf(t.db, tokens.refresh, { rotated_at: Date.now() - 60_000 });

        const latest = await rotate(next.refresh);

        await expectAccessWorks(latest.access);
      });
    });

    describe('logout', () => {
      it('answers 204 with no body; then the old access token and the refresh token get 401', async () => {
        const { tokens } = await signIn(t, '+12015550120');

        const res = await api.logout(tokens.refresh).expect(204);

        expect(res.text).toBe('');
        await expectAccessRefused(tokens.access);
        expectProblem(await api.refresh(tokens.refresh), 401, 'unauthorized');
        const row = await sessionRowOf(t.db, tokens.refresh);
        expect(row.revoked_reason).toBe('logout');
        expect(row.revoked_at).toEqual(expect.any(Number));
      });

      it('ends only the current session by default: the user’s other sessions keep working', async () => {
        const current = await signIn(t, '+12015550121');
        const other = await signIn(t, '+12015550121');

        await api.logout(current.tokens.refresh).expect(204);

        await expectAccessRefused(current.tokens.access);
        await expectAccessWorks(other.tokens.access);
      });

      it('with scope others keeps the current session and revokes every other session of the user', async () => {
        const a = await signIn(t, '+12015550122');
        const current = await signIn(t, '+12015550122');
        const c = await signIn(t, '+12015550122');
        const stranger = await signIn(t, '+12015550123');

        await api.logout(current.tokens.refresh, 'others').expect(204);

        await expectAccessWorks(current.tokens.access);
        await rotate(current.tokens.refresh);
        await expectAccessRefused(a.tokens.access);
        await expectAccessRefused(c.tokens.access);
        expectProblem(await api.refresh(a.tokens.refresh), 401, 'unauthorized');
        await expectAccessWorks(stranger.tokens.access);
        const reasons = (await sessionRowsOfUser(t.db, a.user.id)).map((row) => [row.id, row.revoked_reason]);
        expect(reasons).toEqual(
          expect.arrayContaining([
            [sidOf(a.tokens.access), 'signed_out_elsewhere'],
            [sidOf(current.tokens.access), null],
            [sidOf(c.tokens.access), 'signed_out_elsewhere'],
          ]),
        );
      });

      it('with scope global revokes every session of the user, the current one included, and no one else’s', async () => {
        const a = await signIn(t, '+12015550124');
        const b = await signIn(t, '+12015550124');
        const stranger = await signIn(t, '+12015550125');

        await api.logout(b.tokens.refresh, 'global').expect(204);

        await expectAccessRefused(a.tokens.access);
        await expectAccessRefused(b.tokens.access);
        expectProblem(await api.refresh(b.tokens.refresh), 401, 'unauthorized');
        await expectAccessWorks(stranger.tokens.access);
        expect((await sessionRowsOfUser(t.db, a.user.id)).every((row) => row.revoked_at !== null)).toBe(true);
      });

      it('refuses an unknown scope with 400 validation_failed and signs nothing out', async () => {
        const { tokens } = await signIn(t, '+12015550126');

        const res = await api.logout(tokens.refresh, 'everyone');

        expectProblem(res, 400, 'validation_failed');
        expect(res.body.errors).toEqual([expect.objectContaining({ field: 'scope' })]);
        await expectAccessWorks(tokens.access);
      });

      it('refuses an access token in place of the refresh token with 401 and signs nothing out', async () => {
        const { tokens } = await signIn(t, '+12015550127');

        expectProblem(await api.logout(tokens.access), 401, 'unauthorized');

        await expectAccessWorks(tokens.access);
      });

      it('refuses the refresh token of an already ended session with 401, and it cannot sign out the user’s other sessions', async () => {
        const ended = await signIn(t, '+12015550128');
        const live = await signIn(t, '+12015550128');
        await api.logout(ended.tokens.refresh).expect(204);

        expectProblem(await api.logout(ended.tokens.refresh, 'global'), 401, 'unauthorized');

        await expectAccessWorks(live.tokens.access);
      });
    });

    describe('session list and revocation', () => {
      it('lists only the caller’s live sessions, newest use first, with current marking the caller’s', async () => {
        const phone = '+12015550130';
        const laptop = await signInWithUserAgent(t, phone, 'Laptop/1.0');
        const phoneApp = await signInWithUserAgent(t, phone, 'PhoneApp/2.0');
        const ended = await signInWithUserAgent(t, phone, 'Old/0.1');
        await signIn(t, '+12015550131');
        await api.logout(ended.tokens.refresh).expect(204);
        await updateSessionOf(t.db, laptop.tokens.access, { last_used_at: Date.now() - 1000 });
        await updateSessionOf(t.db, phoneApp.tokens.access, { last_used_at: Date.now() - 5000 });

        const res = await api.listSessions(phoneApp.tokens.access).expect(200);

        const laptopRow = await sessionRowOf(t.db, laptop.tokens.access);
        expect(res.body).toEqual({
          sessions: [
            {
              id: laptopRow.id,
              current: false,
              created_at: new Date(laptopRow.created_at).toISOString(),
              last_used_at: new Date(laptopRow.last_used_at).toISOString(),
              expires_at: new Date(laptopRow.expires_at).toISOString(),
              user_agent: 'Laptop/1.0',
              ip: laptopRow.ip,
            },
            expect.objectContaining({ id: sidOf(phoneApp.tokens.access), current: true, user_agent: 'PhoneApp/2.0' }),
          ],
        });
      });

      it('answers the path without the trailing slash the same way', async () => {
        const { tokens } = await signIn(t, '+12015550132');

        const res = await t.http().get('/api/auth/sessions').set('Authorization', `Bearer ${tokens.access}`);

        expect(res.status).toBe(200);
        expect(res.body.sessions).toEqual([expect.objectContaining({ id: sidOf(tokens.access), current: true })]);
      });

      it('refuses the list without an access token with 401 unauthorized', async () => {
        expectProblem(await t.http().get(SESSIONS), 401, 'unauthorized');
      });

      it('revokes one of the caller’s sessions with 204: its access and refresh tokens stop working, the caller’s do not', async () => {
        const caller = await signIn(t, '+12015550133');
        const target = await signIn(t, '+12015550133');

        const res = await api.revokeSession(caller.tokens.access, sidOf(target.tokens.access)).expect(204);

        expect(res.text).toBe('');
        await expectAccessRefused(target.tokens.access);
        expectProblem(await api.refresh(target.tokens.refresh), 401, 'unauthorized');
        await expectAccessWorks(caller.tokens.access);
        expect((await sessionRowOf(t.db, target.tokens.access)).revoked_reason).toBe('revoked');
        const listed = await api.listSessions(caller.tokens.access).expect(200);
        const { sessions } = listed.body as { sessions: { id: string }[] };
        expect(sessions.map((s) => s.id)).toEqual([sidOf(caller.tokens.access)]);
      });

      it('revokes the caller’s own current session when asked to', async () => {
        const { tokens } = await signIn(t, '+12015550134');

        await api.revokeSession(tokens.access, sidOf(tokens.access)).expect(204);

        await expectAccessRefused(tokens.access);
      });

      it('answers another user’s session id with 404 not_found, and that session keeps working', async () => {
        const attacker = await signIn(t, '+12015550135');
        const victim = await signIn(t, '+12015550136');

        const res = await api.revokeSession(attacker.tokens.access, sidOf(victim.tokens.access));

        expectProblem(res, 404, 'not_found');
        await expectAccessWorks(victim.tokens.access);
        await rotate(victim.tokens.refresh);
        expect((await sessionRowOf(t.db, victim.tokens.access)).revoked_at).toBeNull();
      });

      it.each([
        ['a non-UUID', 'not-a-session'],
        ['an integer', '1'],
        ['a UUID that does not exist', '00000000-0000-4000-8000-000000000000'],
        ['a UUID with a trailing character', '00000000-0000-4000-8000-0000000000001'],
        ['an SQL fragment', encodeURIComponent("' OR '1'='1")],
      ])('answers %s as the session id with 404 not_found', async (_label, id) => {
        const { tokens } = await signIn(t, '+12015550137');

        const res = await api.revokeSession(tokens.access, id);

        expectProblem(res, 404, 'not_found');
        await expectAccessWorks(tokens.access);
      });

      it('refuses revocation without an access token with 401 unauthorized', async () => {
        const { tokens } = await signIn(t, '+12015550138');

        expectProblem(await t.http().delete(`${SESSIONS}${sidOf(tokens.access)}/`), 401, 'unauthorized');

        await expectAccessWorks(tokens.access);
      });
    });

    describe('deactivated users and the absolute lifetime', () => {
      it('refuses a deactivated user with 401 on the profile, the session list and refresh', async () => {
        const { user, tokens } = await signIn(t, '+12015550140');
        await query(t.db, 'UPDATE users SET is_active = :inactive WHERE id = :id', { inactive: false, id: user.id });

        await expectAccessRefused(tokens.access);
        expectProblem(await api.listSessions(tokens.access), 401, 'unauthorized');
        expectProblem(await api.refresh(tokens.refresh), 401, 'unauthorized');
      });

      it('refuses refresh after the session’s absolute lifetime with 401, however recently it was refreshed', async () => {
        const { tokens } = await signIn(t, '+12015550141');
        const next = await rotate(tokens.refresh);
        const latest = await rotate(next.refresh);
        await updateSessionOf(t.db, latest.refresh, { expires_at: Date.now() - 1000 });

        expectProblem(await api.refresh(latest.refresh), 401, 'unauthorized');
        await expectAccessRefused(latest.access);
      });

      it('never extends expires_at when refreshing', async () => {
        const { tokens } = await signIn(t, '+12015550142');
        const { expires_at } = await sessionRowOf(t.db, tokens.refresh);

        let current: Tokens = tokens;
        for (let i = 0; i < 3; i += 1) current = await rotate(current.refresh);

        expect((await sessionRowOf(t.db, current.refresh)).expires_at).toBe(expires_at);
      });
    });

    describe('PATCH /api/auth/profile/', () => {
      let me: SignedIn;
      beforeAll(async () => {
        me = await signIn(t, '+12015550145');
      });

      async function storedUser() {
        const [row] = await userRows(t.db, '+12015550145');
        return row;
      }

      it('trims first_name and last_name, stores them, and answers with the user', async () => {
        const res = await api.patchProfile(me.tokens.access, { first_name: '  Ada ', last_name: '\tLovelace\n' });

        expect(res.status).toBe(200);
        expect(res.body).toEqual({ user: { ...me.user, first_name: 'Ada', last_name: 'Lovelace' } });
        expect(await storedUser()).toMatchObject({ first_name: 'Ada', last_name: 'Lovelace' });
        expect((await api.profile(me.tokens.access).expect(200)).body.user).toEqual(res.body.user);
      });

      it('changes only the field that is sent', async () => {
        await api.patchProfile(me.tokens.access, { first_name: 'Ada', last_name: 'Lovelace' }).expect(200);

        const res = await api.patchProfile(me.tokens.access, { last_name: 'Byron' }).expect(200);

        expect(res.body.user).toMatchObject({ first_name: 'Ada', last_name: 'Byron' });
        expect(await storedUser()).toMatchObject({ first_name: 'Ada', last_name: 'Byron' });
      });

      it('accepts 150 characters and refuses 151 with 400 validation_failed naming the field', async () => {
        await api.patchProfile(me.tokens.access, { first_name: 'a'.repeat(150) }).expect(200);

        const res = await api.patchProfile(me.tokens.access, { first_name: 'b'.repeat(151) });

        expectProblem(res, 400, 'validation_failed');
        expect(res.body.errors).toEqual([expect.objectContaining({ field: 'first_name' })]);
        expect((await storedUser()).first_name).toBe('a'.repeat(150));
      });

      it('measures the length after trimming: 150 characters inside spaces are accepted', async () => {
        const res = await api.patchProfile(me.tokens.access, { last_name: `  ${'c'.repeat(150)}  ` }).expect(200);

        expect(res.body.user.last_name).toBe('c'.repeat(150));
        expect((await storedUser()).last_name).toBe('c'.repeat(150));
      });

      it('refuses a last_name over 150 characters with 400 validation_failed', async () => {
        const res = await api.patchProfile(me.tokens.access, { last_name: 'x'.repeat(151) });

        expectProblem(res, 400, 'validation_failed');
        expect(res.body.errors).toEqual([expect.objectContaining({ field: 'last_name' })]);
      });

      it.each([
        ['phone_number', { phone_number: '+12015550199' }],
        ['username', { username: 'admin' }],
        ['is_active', { is_active: false }],
        ['id', { id: 1 }],
      ])('refuses the unknown field %s with 400 validation_failed, changing nothing', async (field, body) => {
        const before = await storedUser();

        const res = await api.patchProfile(me.tokens.access, { first_name: 'Mallory', ...body });

        expectProblem(res, 400, 'validation_failed');
        expect(res.body.errors).toEqual([expect.objectContaining({ field })]);
        expect(await storedUser()).toEqual(before);
        expect((await api.profile(me.tokens.access).expect(200)).body.user.phone_number).toBe('+12015550145');
      });

      it.each([
        ['a number', 42],
        ['a boolean', true],
        ['an array', ['Ada']],
        ['an object', { text: 'Ada' }],
        ['null', null],
      ])('refuses first_name as %s with 400 validation_failed', async (_label, value) => {
        const before = await storedUser();

        const res = await api.patchProfile(me.tokens.access, { first_name: value });

        expectProblem(res, 400, 'validation_failed');
        expect(res.body.errors).toEqual([expect.objectContaining({ field: 'first_name' })]);
        expect(await storedUser()).toEqual(before);
      });

      it('refuses last_name as null with 400 validation_failed', async () => {
        const res = await api.patchProfile(me.tokens.access, { last_name: null });

        expectProblem(res, 400, 'validation_failed');
      });

      it('clears a name sent as whitespace only', async () => {
        await api.patchProfile(me.tokens.access, { first_name: 'Ada' }).expect(200);

        const res = await api.patchProfile(me.tokens.access, { first_name: '   ' }).expect(200);

        expect(res.body.user.first_name).toBe('');
        expect((await storedUser()).first_name).toBe('');
      });

      it('answers an empty body with the unchanged user', async () => {
        const before = await storedUser();

        const res = await api.patchProfile(me.tokens.access, {}).expect(200);

        expect(res.body.user).toMatchObject({ first_name: before.first_name, last_name: before.last_name });
        expect(await storedUser()).toEqual(before);
      });

      it('refuses the update without an access token, or with a refresh token, with 401 unauthorized', async () => {
        expectProblem(await t.http().patch(PROFILE).send({ first_name: 'Eve' }), 401, 'unauthorized');
        expectProblem(await api.patchProfile(me.tokens.refresh, { first_name: 'Eve' }), 401, 'unauthorized');
        expect((await storedUser()).first_name).not.toBe('Eve');
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
        const { tokens } = await signIn(t, '+12015550150');

        await api.refresh(resign(tokens.refresh, { nbf: 0 })).expect(200);
      });

      it('refuses an access token on the refresh endpoint with 401 unauthorized and leaves the session alone', async () => {
        const { tokens } = await signIn(t, '+12015550151');

        expectProblem(await api.refresh(tokens.access), 401, 'unauthorized');

        expect((await sessionRowOf(t.db, tokens.refresh)).previous_refresh_jti).toBeNull();
        await rotate(tokens.refresh);
      });

      it('refuses a refresh token as a Bearer token with 401 unauthorized', async () => {
        const { tokens } = await signIn(t, '+12015550152');

        expectProblem(await api.profile(tokens.refresh), 401, 'unauthorized');
        expectProblem(await api.listSessions(tokens.refresh), 401, 'unauthorized');
        expectProblem(await api.revokeSession(tokens.refresh, sidOf(tokens.refresh)), 401, 'unauthorized');
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
          const { tokens } = await signIn(t, '+12015550153');

          expectProblem(await api.refresh(resign(tokens.refresh, changes, how)), 401, 'unauthorized');

          expect((await sessionRowOf(t.db, tokens.refresh)).previous_refresh_jti).toBeNull();
          await rotate(tokens.refresh);
        },
      );

      it('refuses a forged refresh token naming another user’s session with 401, leaving that session alone', async () => {
        const attacker = await signIn(t, '+12015550154');
        const victim = await signIn(t, '+12015550155');
        const forged = resign(attacker.tokens.refresh, { sid: sidOf(victim.tokens.refresh) }, { secret: 'guess' });

        expectProblem(await api.refresh(forged), 401, 'unauthorized');

        await rotate(victim.tokens.refresh);
      });
    });
  });

  describe('with REFRESH_REUSE_GRACE=0s and SESSION_MAX_AGE=1h', () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await createTestApp(dialect, { env: { REFRESH_REUSE_GRACE: '0s', SESSION_MAX_AGE: '1h' } });
    });
    afterAll(() => t?.close());

    const api = client(() => t);

    it('sets expires_at to created_at + SESSION_MAX_AGE', async () => {
      const { tokens } = await signIn(t, '+12015550160');

      const row = await sessionRowOf(t.db, tokens.refresh);

      expect(row.expires_at - row.created_at).toBe(3_600_000);
      const listed = await api.listSessions(tokens.access).expect(200);
      expect(listed.body.sessions[0].expires_at).toBe(new Date(row.expires_at).toISOString());
    });

    it('answers a second sequential use of the same refresh token with 401 refresh_token_reused and revokes the session', async () => {
      const { tokens } = await signIn(t, '+12015550161');
      const next = (await api.refresh(tokens.refresh).expect(200)).body as Tokens;

      expectProblem(await api.refresh(tokens.refresh), 401, 'refresh_token_reused');

      expectProblem(await api.profile(next.access), 401, 'unauthorized');
      expectProblem(await api.refresh(next.refresh), 401, 'unauthorized');
      expect((await sessionRowOf(t.db, tokens.refresh)).revoked_reason).toBe('refresh_token_reused');
    });

    it('accepts only the newest refresh token of a chain', async () => {
      const { tokens } = await signIn(t, '+12015550162');
      const second = (await api.refresh(tokens.refresh).expect(200)).body as Tokens;
      const third = (await api.refresh(second.refresh).expect(200)).body as Tokens;

      const res = await api.refresh(third.refresh).expect(200);

      await api.profile(res.body.access).expect(200);
    });
  });
});
