import type { Response } from 'supertest';
import type { DataSource, FindOptionsWhere } from 'typeorm';
import { AuditEvent } from '../src/audit/audit-event.entity';
import { AuditTrail } from '../src/audit/audit-trail.service';
import { OtpCode } from '../src/otp/otp-code.entity';
import { Session } from '../src/sessions/session.entity';
import { User } from '../src/users/user.entity';
import { ROUTES } from './helpers/api-client';
import { dialects } from './helpers/databases';
import { expectProblem } from './helpers/problems';
import { sidOf } from './helpers/sessions';
import { requestCode, signIn, type SignedIn } from './helpers/sign-in';
import { createTestApp, useTestApp, type TestApp } from './helpers/test-app';

const ADMIN = 'test-admin-token-0123456789abcdef';
/** A second token, as during a rotation: both work, each under its own name. */
const ROTATED = 'rotated-admin-token-fedcba9876543210';
const ADMIN_ENV = { ADMIN_API_TOKENS: `ops:${ADMIN}, oncall:${ROTATED}` };
const UNKNOWN_SESSION = '00000000-0000-4000-8000-000000000000';
const HOUR_MS = 3_600_000;

interface AdminUser {
  id: number;
  phone_masked: string;
  phone_hash: string;
  is_active: boolean;
  banned_until: string | null;
  disabled_reason: string | null;
  date_joined: string;
}
interface AuditEventBody {
  id: number;
  type: string;
  actor: string | null;
  user_id: number | null;
  phone_hash: string | null;
  phone_masked: string | null;
  reason: string | null;
  session_id: string | null;
  detail: string | null;
  created_at: string;
}

/** A user row written straight to the table, for lists longer than sign-ins would be quick to make. */
async function insertUser(db: DataSource, phoneNumber: string, dateJoined = new Date()): Promise<User> {
  return db.getRepository(User).save({
    phoneNumber,
    username: phoneNumber,
    firstName: '',
    lastName: '',
    isPhoneVerified: true,
    isActive: true,
    dateJoined,
    lastLogin: null,
    bannedUntil: null,
    disabledReason: null,
  });
}

const idsOf = (res: Response) => (res.body.users as AdminUser[]).map((user) => user.id);
const eventsOf = (res: Response) => res.body.events as AuditEventBody[];
const inHours = (hours: number) => new Date(Date.now() + hours * HOUR_MS).toISOString();

describe.each(dialects())('admin API on %s', (dialect) => {
  const app = useTestApp(dialect, { env: ADMIN_ENV });
  /** Every admin answer of the block's tests, scanned at the end for phone numbers. */
  const answers: string[] = [];
  const numbers: string[] = [];
  const admin = async (request: PromiseLike<Response>): Promise<Response> => {
    const res = await request;
    answers.push(res.text);
    return res;
  };
  const signedIn = async (phoneNumber: string): Promise<SignedIn> => {
    numbers.push(phoneNumber);
    return signIn(app(), phoneNumber);
  };
  const auditRows = (where: FindOptionsWhere<AuditEvent>) =>
    app()
      .db.getRepository(AuditEvent)
      .find({ where, order: { id: 'ASC' } });

  describe('admin and user credentials are separate', () => {
    it("refuses a user's access token on the admin routes with 401", async () => {
      const { tokens, user } = await signedIn('+12015550200');
      expectProblem(await admin(app().api.adminUsers(tokens.access)), 401, 'unauthorized');
      expectProblem(await admin(app().api.adminUser(tokens.access, user.id)), 401, 'unauthorized');
      expectProblem(await admin(app().api.adminAuditEvents(tokens.access)), 401, 'unauthorized');
    });

    it('refuses an admin token on the user routes with 401', async () => {
      expectProblem(await app().api.profile(ADMIN), 401, 'unauthorized');
      expectProblem(await app().api.sessions(ADMIN), 401, 'unauthorized');
    });

    it('refuses no token, a wrong one, a prefix of a right one and another scheme', async () => {
      for (const token of [undefined, 'nope', ADMIN.slice(0, -1), `${ADMIN}x`]) {
        expectProblem(await admin(app().api.adminUsers(token)), 401, 'unauthorized');
      }
      const basic = app().http().get(ROUTES.adminUsers).set('Authorization', `Basic ${ADMIN}`);
      expectProblem(await admin(basic), 401, 'unauthorized');
    });

    it('admits every token of the list and records its name as the actor', async () => {
      const { user } = await signedIn('+12015550201');
      await admin(app().api.adminUsers(ADMIN).expect(200));
      await admin(app().api.adminUsers(ROTATED).expect(200));
      await admin(
        app().api.updateAdminUser(ROTATED, user.id, { is_active: false, reason: 'rotation test' }).expect(200),
      );
      await admin(app().api.updateAdminUser(ADMIN, user.id, { is_active: true }).expect(200));

      const events = await auditRows({ userId: user.id, type: 'admin_user_updated' });
      expect(events.map((e) => [e.actor, e.reason, e.detail])).toEqual([
        ['oncall', 'deactivated', 'rotation test'],
        ['ops', 'reactivated', null],
      ]);
    });
  });

  describe('the user list', () => {
    it('lists users newest first with masks and hashes, never the number', async () => {
      const t = app();
      const { user } = await signedIn('+12015550202');
      const res = await admin(t.api.adminUsers(ADMIN, { limit: 1 }).expect(200));
      expect(res.body).toEqual({
        users: [
          {
            id: user.id,
            phone_masked: '+1201*****02',
            phone_hash: t.app.get(AuditTrail).phoneHash('+12015550202'),
            first_name: '',
            last_name: '',
            is_phone_verified: true,
            is_active: true,
            banned_until: null,
            disabled_reason: null,
            date_joined: expect.stringMatching(/^\d{4}-\d\d-\d\dT.*Z$/),
            last_login: expect.stringMatching(/^\d{4}-\d\d-\d\dT.*Z$/),
          },
        ],
        next_cursor: expect.any(String),
      });
    });

    it('filters by phone prefix, with the + encoded or sent raw (a space to URL decoding)', async () => {
      const t = app();
      const a = await insertUser(t.db, '+447700900101');
      const b = await insertUser(t.db, '+447700900102');
      await insertUser(t.db, '+447700901103');
      numbers.push('+447700900101', '+447700900102', '+447700901103');

      const encoded = await admin(t.api.adminUsers(ADMIN, { phone_prefix: '+44770090010' }).expect(200));
      expect(idsOf(encoded)).toEqual([b.id, a.id]);
      const raw = await admin(
        t
          .http()
          .get(`${ROUTES.adminUsers}?phone_prefix=+44770090010`)
          .set('Authorization', `Bearer ${ADMIN}`)
          .expect(200),
      );
      expect(idsOf(raw)).toEqual([b.id, a.id]);
      const withoutPlus = await admin(t.api.adminUsers(ADMIN, { phone_prefix: '44770090010' }).expect(200));
      expect(idsOf(withoutPlus)).toEqual([b.id, a.id]);
    });

    it('filters by join time: created_after inclusive, created_before exclusive', async () => {
      const t = app();
      const old = await insertUser(t.db, '+447700902001', new Date('2024-01-01T00:00:00Z'));
      const mid = await insertUser(t.db, '+447700902002', new Date('2024-02-01T00:00:00Z'));
      const late = await insertUser(t.db, '+447700902003', new Date('2024-03-01T00:00:00Z'));
      numbers.push('+447700902001', '+447700902002', '+447700902003');
      const list = (query: Record<string, string>) =>
        admin(t.api.adminUsers(ADMIN, { phone_prefix: '+4477009020', ...query }).expect(200)).then(idsOf);

      expect(await list({ created_after: '2024-02-01T00:00:00Z' })).toEqual([late.id, mid.id]);
      expect(await list({ created_before: '2024-02-01' })).toEqual([old.id]);
      expect(
        await list({ created_after: '2024-01-15T00:00:00+01:00', created_before: '2024-03-01T00:00:00Z' }),
      ).toEqual([mid.id]);
    });

    it('filters by active: usable users, or deactivated and banned ones', async () => {
      const t = app();
      const usable = await insertUser(t.db, '+447700903001');
      const inactive = await insertUser(t.db, '+447700903002');
      const banned = await insertUser(t.db, '+447700903003');
      const banOver = await insertUser(t.db, '+447700903004');
      numbers.push('+447700903001', '+447700903002', '+447700903003', '+447700903004');
      await t.db.getRepository(User).update(inactive.id, { isActive: false });
      await t.db.getRepository(User).update(banned.id, { bannedUntil: new Date(Date.now() + HOUR_MS) });
      await t.db.getRepository(User).update(banOver.id, { bannedUntil: new Date(Date.now() - HOUR_MS) });
      const list = (active: string) =>
        admin(t.api.adminUsers(ADMIN, { phone_prefix: '+4477009030', active }).expect(200)).then(idsOf);

      expect(await list('true')).toEqual([banOver.id, usable.id]);
      expect(await list('false')).toEqual([banned.id, inactive.id]);
    });

    it('pages with a cursor without duplicates or gaps while users are added and removed between pages', async () => {
      const t = app();
      const prefix = '+1303555';
      const initial: number[] = [];
      for (let i = 0; i < 8; i++) initial.push((await insertUser(t.db, `${prefix}01${i}0`)).id);
      numbers.push(...initial.map((_, i) => `${prefix}01${i}0`));

      const seen: number[] = [];
      let cursor: string | null = null;
      let page = 0;
      do {
        const query: Record<string, string | number> = { phone_prefix: prefix, limit: 3 };
        if (cursor) query.cursor = cursor;
        const res = await admin(t.api.adminUsers(ADMIN, query).expect(200));
        seen.push(...idsOf(res));
        cursor = res.body.next_cursor as string | null;
        // Between pages: newer users arrive, and one not yet shown is deleted.
        await insertUser(t.db, `${prefix}02${page}0`);
        numbers.push(`${prefix}02${page}0`);
        if (page === 0) await t.db.getRepository(User).delete(initial[1]);
        page++;
      } while (cursor);

      const expected = [...initial].reverse().filter((id) => id !== initial[1]);
      expect(seen).toEqual(expected);
      expect(page).toBe(3);
    });

    it('answers an empty last page with a null cursor', async () => {
      const res = await admin(app().api.adminUsers(ADMIN, { phone_prefix: '+19999' }).expect(200));
      expect(res.body).toEqual({ users: [], next_cursor: null });
    });
  });

  describe('a user page', () => {
    it('shows the user, every session with its state and the newest events of the user or their number', async () => {
      const t = app();
      const first = await signedIn('+12015550210');
      const second = await signIn(t, '+12015550210', 'AdminSpec/1.0');
      await t.api.logout(first.tokens.refresh).expect(204);

      const res = await admin(t.api.adminUser(ADMIN, first.user.id).expect(200));
      expect(res.body.user).toMatchObject({ id: first.user.id, phone_masked: '+1201*****10' });
      expect(res.body.sessions).toEqual([
        expect.objectContaining({
          id: sidOf(second.tokens.access),
          live: true,
          user_agent: 'AdminSpec/1.0',
          scope: 'full',
        }),
        expect.objectContaining({ id: sidOf(first.tokens.access), live: false, revoked_reason: 'logout' }),
      ]);
      const events = res.body.events as AuditEventBody[];
      expect(events.length).toBeGreaterThan(0);
      expect(events.map((e) => e.id)).toEqual([...events.map((e) => e.id)].sort((a, b) => b - a));
      const hash = t.app.get(AuditTrail).phoneHash('+12015550210');
      for (const event of events) expect(event.user_id === first.user.id || event.phone_hash === hash).toBe(true);
    });

    it('answers 404 for an id no user has', async () => {
      expectProblem(await admin(app().api.adminUser(ADMIN, 999_999)), 404, 'not_found');
    });
  });

  describe('banning', () => {
    it('stops the access token on the next request, refuses refresh and sign-in; lifting it lets the same tokens back', async () => {
      const t = app();
      const { user, tokens } = await signedIn('+12015550220');
      await t.api.profile(tokens.access).expect(200);
      const until = inHours(24);

      const banned = await admin(
        t.api.updateAdminUser(ADMIN, user.id, { banned_until: until, reason: 'Spam, ticket #1' }).expect(200),
      );
      expect(banned.body.user).toMatchObject({
        banned_until: until.replace(/Z$/, 'Z'),
        disabled_reason: 'Spam, ticket #1',
        is_active: true,
      });

      expectProblem(await t.api.profile(tokens.access), 401, 'unauthorized');
      expectProblem(await t.api.refresh(tokens.refresh), 401, 'unauthorized');
      const code = await requestCode(t, '+12015550220');
      expectProblem(await t.api.verifyOtp('+12015550220', code), 403, 'account_disabled');

      const lifted = await admin(t.api.updateAdminUser(ADMIN, user.id, { banned_until: null }).expect(200));
      expect(lifted.body.user).toMatchObject({ banned_until: null, disabled_reason: null });
      await t.api.profile(tokens.access).expect(200);
      await t.api.refresh(tokens.refresh).expect(200);

      const events = await auditRows({ userId: user.id, type: 'admin_user_updated' });
      expect(events.map((e) => [e.actor, e.reason, e.detail])).toEqual([
        ['ops', 'banned', 'Spam, ticket #1'],
        ['ops', 'unbanned', null],
      ]);
      expect(events[0].phoneMasked).toBe('+1201*****20');
    });

    it('refuses a ban until a past time, and a ban or deactivation without a reason', async () => {
      const t = app();
      const { user } = await signedIn('+12015550221');
      const past = await admin(t.api.updateAdminUser(ADMIN, user.id, { banned_until: inHours(-1), reason: 'x' }));
      expectProblem(past, 400, 'validation_failed');
      expect(past.body.errors).toEqual([{ field: 'banned_until', message: expect.stringContaining('future') }]);
      const noReason = await admin(t.api.updateAdminUser(ADMIN, user.id, { banned_until: inHours(1) }));
      expectProblem(noReason, 400, 'validation_failed');
      expect(noReason.body.errors).toEqual([{ field: 'reason', message: expect.any(String) }]);
      expectProblem(
        await admin(t.api.updateAdminUser(ADMIN, user.id, { is_active: false, reason: '  ' })),
        400,
        'validation_failed',
      );
      expectProblem(
        await admin(t.api.updateAdminUser(ADMIN, user.id, { reason: 'only a reason' })),
        400,
        'validation_failed',
      );

      const [row] = await t.db.getRepository(User).findBy({ id: user.id });
      expect(row).toMatchObject({ isActive: true, bannedUntil: null, disabledReason: null });
      expect(await auditRows({ userId: user.id, type: 'admin_user_updated' })).toEqual([]);
    });

    it('deactivates and reactivates, with the same effect on tokens and sign-in', async () => {
      const t = app();
      const { user, tokens } = await signedIn('+12015550222');
      const res = await admin(
        t.api.updateAdminUser(ADMIN, user.id, { is_active: false, reason: 'Left the company' }).expect(200),
      );
      expect(res.body.user).toMatchObject({
        is_active: false,
        disabled_reason: 'Left the company',
        banned_until: null,
      });
      expectProblem(await t.api.profile(tokens.access), 401, 'unauthorized');
      const code = await requestCode(t, '+12015550222');
      expectProblem(await t.api.verifyOtp('+12015550222', code), 403, 'account_disabled');

      await admin(t.api.updateAdminUser(ADMIN, user.id, { is_active: true }).expect(200));
      await t.api.profile(tokens.access).expect(200);
      const list = await admin(t.api.adminUsers(ADMIN, { phone_prefix: '+12015550222', active: true }).expect(200));
      expect(idsOf(list)).toEqual([user.id]);
    });

    it('answers 404 for a user that does not exist, and writes no event', async () => {
      const before = (await auditRows({ type: 'admin_user_updated' })).length;
      expectProblem(await admin(app().api.updateAdminUser(ADMIN, 999_999, { is_active: true })), 404, 'not_found');
      expect(await auditRows({ type: 'admin_user_updated' })).toHaveLength(before);
    });
  });

  describe('deleting a user', () => {
    it('erases the user, their sessions and codes in one go, and keeps the audit events', async () => {
      const t = app();
      const { user, tokens } = await signedIn('+12015550230');
      await requestCode(t, '+12015550230');
      const eventsBefore = await auditRows({ userId: user.id });
      expect(eventsBefore.length).toBeGreaterThan(0);

      await admin(t.api.deleteAdminUser(ADMIN, user.id).expect(204));

      expect(await t.db.getRepository(User).countBy({ id: user.id })).toBe(0);
      expect(await t.db.getRepository(Session).countBy({ userId: user.id })).toBe(0);
      expect(await t.db.getRepository(OtpCode).countBy({ phoneNumber: '+12015550230' })).toBe(0);
      const eventsAfter = await auditRows({ userId: user.id });
      expect(eventsAfter.slice(0, eventsBefore.length)).toEqual(eventsBefore);
      expect(eventsAfter[eventsAfter.length - 1]).toMatchObject({
        type: 'admin_user_deleted',
        actor: 'ops',
        phoneMasked: '+1201*****30',
      });
      expectProblem(await t.api.profile(tokens.access), 401, 'unauthorized');
      expectProblem(await admin(t.api.deleteAdminUser(ADMIN, user.id)), 404, 'not_found');
      expectProblem(await admin(t.api.adminUser(ADMIN, user.id)), 404, 'not_found');
    });
  });

  describe('revoking sessions', () => {
    it('revokes one session of the user; 404 for one that is not theirs or already ended', async () => {
      const t = app();
      const a = await signedIn('+12015550240');
      const b = await signIn(t, '+12015550240');
      const other = await signedIn('+12015550241');

      await admin(t.api.revokeAdminUserSessions(ADMIN, a.user.id, sidOf(a.tokens.access)).expect(204));
      expectProblem(await t.api.profile(a.tokens.access), 401, 'unauthorized');
      await t.api.profile(b.tokens.access).expect(200);

      for (const sid of [sidOf(a.tokens.access), sidOf(other.tokens.access), UNKNOWN_SESSION]) {
        expectProblem(await admin(t.api.revokeAdminUserSessions(ADMIN, a.user.id, sid)), 404, 'not_found');
      }
      await t.api.profile(other.tokens.access).expect(200);
      const [row] = await t.db.getRepository(Session).findBy({ id: sidOf(a.tokens.access) });
      expect(row.revokedReason).toBe('revoked');
      const events = await auditRows({ userId: a.user.id, type: 'admin_sessions_revoked' });
      expect(events.map((e) => [e.actor, e.sessionId, e.reason])).toEqual([['ops', sidOf(a.tokens.access), null]]);
    });

    it('revokes every session of the user and no one else’s', async () => {
      const t = app();
      const a = await signedIn('+12015550242');
      const b = await signIn(t, '+12015550242');
      const other = await signedIn('+12015550243');

      await admin(t.api.revokeAdminUserSessions(ADMIN, a.user.id).expect(204));
      for (const tokens of [a.tokens, b.tokens]) {
        expectProblem(await t.api.profile(tokens.access), 401, 'unauthorized');
        expectProblem(await t.api.refresh(tokens.refresh), 401, 'unauthorized');
      }
      await t.api.profile(other.tokens.access).expect(200);
      const events = await auditRows({ userId: a.user.id, type: 'admin_sessions_revoked' });
      expect(events.map((e) => [e.actor, e.sessionId, e.reason])).toEqual([['ops', null, 'all']]);
      expectProblem(await admin(t.api.revokeAdminUserSessions(ADMIN, 999_999)), 404, 'not_found');
    });
  });

  describe('audit events', () => {
    it('lists events newest first, filtered by type, user, number and time, a page at a time', async () => {
      const t = app();
      const start = new Date(Date.now() - 1000).toISOString();
      const { user } = await signedIn('+12015550250');
      await signIn(t, '+12015550250');

      const byUser = eventsOf(await admin(t.api.adminAuditEvents(ADMIN, { user_id: user.id }).expect(200)));
      expect(byUser.map((e) => e.type)).toEqual(expect.arrayContaining(['sign_in', 'code_verified']));
      expect(byUser.every((e) => e.user_id === user.id)).toBe(true);

      const query = { phone: '+12015550250', type: 'sign_in,code_sent', after: start };
      const first = await admin(t.api.adminAuditEvents(ADMIN, { ...query, limit: 2 }).expect(200));
      const second = await admin(
        t.api.adminAuditEvents(ADMIN, { ...query, limit: 2, cursor: first.body.next_cursor as string }).expect(200),
      );
      const paged = [...eventsOf(first), ...eventsOf(second)];
      expect(paged.map((e) => e.type).sort()).toEqual(['code_sent', 'code_sent', 'sign_in', 'sign_in']);
      expect(paged.map((e) => e.id)).toEqual([...paged.map((e) => e.id)].sort((a, b) => b - a));
      expect(second.body.next_cursor).toBeNull();
      expect(paged.every((e) => e.phone_masked === '+1201*****50')).toBe(true);

      const none = await admin(t.api.adminAuditEvents(ADMIN, { ...query, before: start }).expect(200));
      expect(none.body).toEqual({ events: [], next_cursor: null });
    });

    it('exports the selected events as NDJSON, oldest first, across several batches', async () => {
      const t = app();
      const repository = t.db.getRepository(AuditEvent);
      const at = new Date('2025-01-01T00:00:00Z');
      const rows = Array.from({ length: 1_203 }, (_, i) => ({
        createdAt: new Date(at.getTime() + i),
        type: i % 3 === 0 ? ('code_failed' as const) : ('code_sent' as const),
        actor: null,
        userId: 424_242,
        phoneHash: null,
        phoneMasked: null,
        country: 'US',
        purpose: 'sign_in',
        channel: 'sms',
        reason: i % 3 === 0 ? 'otp_invalid' : null,
        sessionId: null,
        ip: null,
        isNewUser: null,
        elapsedMs: null,
        detail: null,
      }));
      for (let i = 0; i < rows.length; i += 200) await repository.insert(rows.slice(i, i + 200));

      const res = await admin(t.api.exportAdminAuditEvents(ADMIN, { user_id: 424_242, type: 'code_sent' }).expect(200));
      expect(res.headers['content-type']).toMatch(/^application\/x-ndjson/);
      expect(res.headers['content-disposition']).toContain('audit-events.ndjson');
      expect(res.text.endsWith('\n')).toBe(true);
      const lines = res.text
        .trimEnd()
        .split('\n')
        .map((line) => JSON.parse(line) as AuditEventBody);
      expect(lines).toHaveLength(802);
      expect(lines.every((e) => e.type === 'code_sent' && e.user_id === 424_242)).toBe(true);
      expect(lines.map((e) => e.id)).toEqual([...lines.map((e) => e.id)].sort((a, b) => a - b));
      expect(lines[0]).toEqual({
        id: expect.any(Number),
        created_at: '2025-01-01T00:00:00.001Z',
        type: 'code_sent',
        actor: null,
        user_id: 424_242,
        phone_hash: null,
        phone_masked: null,
        country: 'US',
        purpose: 'sign_in',
        channel: 'sms',
        reason: null,
        session_id: null,
        ip: null,
        is_new_user: null,
        elapsed_ms: null,
        detail: null,
      });

      const empty = await admin(t.api.exportAdminAuditEvents(ADMIN, { user_id: 424_243 }).expect(200));
      expect(empty.text).toBe('');
    });

    it('holds no raw number, code or token in any event', async () => {
      const t = app();
      const { tokens } = await signedIn('+12015550251');
      const code = t.sms.lastCodeFor('+12015550251');
      const text = JSON.stringify(await t.db.getRepository(AuditEvent).find());
      for (const number of numbers) expect(text).not.toContain(number);
      expect(text).not.toContain(tokens.access);
      expect(text).not.toContain(tokens.refresh);
      expect(text).not.toMatch(new RegExp(`"${code}"`));
    });
  });

  describe('bad input is a 400 problem, never a 500', () => {
    const listCases: [string, Record<string, string>][] = [
      ['an unknown filter', { phone: '+1201' }],
      ['a phone prefix with letters', { phone_prefix: '+1201abc' }],
      ['a phone prefix with a LIKE wildcard', { phone_prefix: '+1%' }],
      ['a date that is not one', { created_after: '2024-02-30' }],
      ['a time without a zone', { created_after: '2024-02-01T10:00:00' }],
      ['a free-text date', { created_before: 'yesterday' }],
      ['a boolean spelled 1', { active: '1' }],
      ['a boolean spelled yes', { active: 'yes' }],
      ['a limit of 0', { limit: '0' }],
      ['a huge limit', { limit: '100000000000000000000' }],
      ['a limit over 200', { limit: '201' }],
      ['a negative limit', { limit: '-1' }],
      ['a fractional limit', { limit: '2.5' }],
      ['a cursor that was not given out', { cursor: 'not-a-cursor' }],
      ['a cursor of a non-number', { cursor: Buffer.from('abc').toString('base64url') }],
      ['a cursor with padding', { cursor: 'MTI=' }],
    ];
    it.each(listCases)('GET users with %s', async (_case, query) => {
      expectProblem(await admin(app().api.adminUsers(ADMIN, query)), 400, 'validation_failed');
    });

    it('refuses a repeated parameter', async () => {
      const res = app().http().get(`${ROUTES.adminUsers}?limit=1&limit=2`).set('Authorization', `Bearer ${ADMIN}`);
      expectProblem(await admin(res), 400, 'validation_failed');
    });

    const eventCases: [string, Record<string, string>][] = [
      ['an unknown type', { type: 'code_sent,nope' }],
      ['an empty type', { type: '' }],
      ['a user id that is not a number', { user_id: 'abc' }],
      ['a user id out of range', { user_id: '99999999999' }],
      ['a phone that is not E.164', { phone: '2015550123' }],
      ['a bad after', { after: '2024-13-01' }],
      ['a bad cursor', { cursor: '!!!' }],
    ];
    it.each(eventCases)('GET audit events and their export with %s', async (_case, query) => {
      expectProblem(await admin(app().api.adminAuditEvents(ADMIN, query)), 400, 'validation_failed');
      if (!('cursor' in query)) {
        expectProblem(await admin(app().api.exportAdminAuditEvents(ADMIN, query)), 400, 'validation_failed');
      }
    });

    it('refuses paging parameters on the export', async () => {
      expectProblem(await admin(app().api.exportAdminAuditEvents(ADMIN, { limit: 1 })), 400, 'validation_failed');
    });

    it.each(['abc', '0', '-1', '1.5', '1e3', '99999999999', '0x10'])('refuses the user id %s', async (id) => {
      expectProblem(await admin(app().api.adminUser(ADMIN, id)), 400, 'validation_failed');
      expectProblem(await admin(app().api.updateAdminUser(ADMIN, id, { is_active: true })), 400, 'validation_failed');
      expectProblem(await admin(app().api.deleteAdminUser(ADMIN, id)), 400, 'validation_failed');
      expectProblem(await admin(app().api.revokeAdminUserSessions(ADMIN, id)), 400, 'validation_failed');
    });

    it('refuses a session id that is not a UUID', async () => {
      expectProblem(await admin(app().api.revokeAdminUserSessions(ADMIN, 1, 'abc')), 400, 'validation_failed');
    });

    const bodyCases: [string, unknown][] = [
      ['an unknown field', { is_active: true, role: 'admin' }],
      ['is_active as a string', { is_active: 'false', reason: 'x' }],
      ['banned_until as a number', { banned_until: Date.now() + HOUR_MS, reason: 'x' }],
      ['banned_until as free text', { banned_until: 'tomorrow', reason: 'x' }],
      ['a reason over 200 characters', { is_active: false, reason: 'x'.repeat(201) }],
      ['a reason with a control character', { is_active: false, reason: 'a\u0000b' }],
      ['a reason that is not a string', { is_active: false, reason: 42 }],
      ['an empty body', {}],
      ['an array', [{ is_active: true }]],
      ['an inherited name', JSON.parse('{"__proto__": {"is_active": true}, "constructor": 1}')],
    ];
    it.each(bodyCases)('PATCH a user with %s', async (_case, body) => {
      const { user } = await signedIn('+12015550260');
      expectProblem(await admin(app().api.updateAdminUser(ADMIN, user.id, body as object)), 400, 'validation_failed');
    });
  });

  it('never answered an admin request with a full phone number', () => {
    expect(answers.length).toBeGreaterThan(50);
    for (const number of numbers) {
      for (const text of answers) expect(text).not.toContain(number.slice(1));
    }
    for (const text of answers) expect(text).not.toMatch(/\+[1-9][0-9]{7,14}/);
  });
});

describe('without ADMIN_API_TOKENS', () => {
  const app = useTestApp('sqlite');

  it.each([
    ['get', ROUTES.adminUsers],
    ['get', ROUTES.adminUser(1)],
    ['patch', ROUTES.adminUser(1)],
    ['delete', ROUTES.adminUser(1)],
    ['delete', ROUTES.adminUserSessions(1)],
    ['delete', ROUTES.adminUserSession(1, UNKNOWN_SESSION)],
    ['get', ROUTES.adminAuditEvents],
    ['get', ROUTES.adminAuditExport],
  ] as const)('answers %s %s 404 as an unknown route does, whatever the token', async (method, path) => {
    const unknown = await app().http().get('/api/admin/nothing-here/');
    for (const token of [undefined, ADMIN, 'x']) {
      const request = app().http()[method](path);
      const res = await (token ? request.set('Authorization', `Bearer ${token}`) : request).send(
        method === 'patch' ? { is_active: true } : undefined,
      );
      expectProblem(res, 404, 'not_found');
      expect({ ...res.body, instance: undefined }).toEqual({ ...unknown.body, instance: undefined });
    }
  });

  it('still refuses a user token on them', async () => {
    const { tokens } = await signIn(app(), '+12015550270');
    expectProblem(await app().api.adminUsers(tokens.access), 404, 'not_found');
  });
});

if (dialects().includes('postgres')) {
  describe('two instances on one PostgreSQL database', () => {
    const a = useTestApp('postgres', { env: ADMIN_ENV });
    let b: TestApp;

    beforeAll(async () => {
      const url = (a().db.options as { url: string }).url;
      b = await createTestApp('postgres', { env: ADMIN_ENV, mapDatabaseUrl: () => url });
    });
    afterAll(() => b?.close());

    it('a ban made through one instance stops the token on the other at its next request', async () => {
      const { user, tokens } = await signIn(a(), '+12015550280');
      await b.api.profile(tokens.access).expect(200);

      await a()
        .api.updateAdminUser(ADMIN, user.id, { banned_until: inHours(1), reason: 'cluster test' })
        .expect(200);

      expectProblem(await b.api.profile(tokens.access), 401, 'unauthorized');
      expectProblem(await b.api.refresh(tokens.refresh), 401, 'unauthorized');
      const code = await requestCode(b, '+12015550280');
      expectProblem(await b.api.verifyOtp('+12015550280', code), 403, 'account_disabled');

      await b.api.updateAdminUser(ROTATED, user.id, { banned_until: null }).expect(200);
      await a().api.profile(tokens.access).expect(200);
      const events = await a()
        .db.getRepository(AuditEvent)
        .find({ where: { userId: user.id, type: 'admin_user_updated' }, order: { id: 'ASC' } });
      expect(events.map((e) => e.actor)).toEqual(['ops', 'oncall']);
    });
  });
}
