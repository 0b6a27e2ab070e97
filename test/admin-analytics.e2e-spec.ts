import type { Response } from 'supertest';
import type { AuditEventType } from '../src/audit/audit-event.entity';
import { AuditEventsRepository, type NewAuditEvent } from '../src/audit/audit-events.repository';
import { Sql } from '../src/database/sql';
import { dialects } from './helpers/databases';
import { expectProblem } from './helpers/problems';
import { signIn } from './helpers/sign-in';
import { useTestApp, type TestApp } from './helpers/test-app';

const ADMIN_TOKEN = 'test-admin-token-0123456789abcdef';
const ADMIN_ENV = { ADMIN_API_TOKENS: `ops:${ADMIN_TOKEN}`, PURGE_INTERVAL: '0s' };
const ROUTE = '/api/admin/analytics/';
const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

interface Seed {
  at: string | number;
  type: AuditEventType;
  country?: string | null;
  reason?: string;
  isNewUser?: boolean;
  elapsedMs?: number;
}

/** Writes events straight into audit_events through the repository's own insert step. */
async function seed(t: TestApp, events: Seed[]): Promise<void> {
  const repository = t.app.get(AuditEventsRepository);
  await t.app.get(Sql).transaction(function* () {
    yield* repository.insert(events.map(row));
  });
}

function row(e: Seed): NewAuditEvent {
  return {
    createdAt: new Date(e.at),
    type: e.type,
    actor: null,
    userId: null,
    phoneHash: null,
    phoneMasked: null,
    country: e.country ?? null,
    purpose: e.type.startsWith('code_') ? 'sign_in' : null,
    channel: null,
    reason: e.reason ?? null,
    sessionId: null,
    ip: null,
    isNewUser: e.isNewUser ?? null,
    elapsedMs: e.elapsedMs ?? null,
    detail: null,
  };
}

/**
 * A known history over 2026-03-02 and 2026-03-03 (UTC) in US, GB, FR and numbers of no country,
 * with events just outside it and events the analytics do not count.
 */
const HISTORY: Seed[] = [
  // Just outside [2026-03-02, 2026-03-04).
  { at: '2026-03-01T23:59:59.999Z', type: 'code_sent', country: 'US' },
  { at: '2026-03-04T00:00:00.000Z', type: 'code_sent', country: 'US' },
  { at: '2026-03-04T00:00:00.000Z', type: 'code_verified', country: 'US', elapsedMs: 1 },
  // Day 1, 09h.
  { at: '2026-03-02T09:00:00.000Z', type: 'logout', country: 'US', reason: 'local' },
  { at: '2026-03-02T09:05:00.000Z', type: 'code_sent', country: 'US' },
  { at: '2026-03-02T09:10:00.000Z', type: 'code_sent', country: 'US' },
  { at: '2026-03-02T09:12:00.000Z', type: 'code_sent', country: 'US', reason: 'fallback' },
  { at: '2026-03-02T09:15:00.000Z', type: 'code_verified', country: 'US', elapsedMs: 10_000 },
  { at: '2026-03-02T09:16:00.000Z', type: 'sign_in', country: 'US', reason: 'otp', isNewUser: true },
  { at: '2026-03-02T09:20:00.000Z', type: 'code_sent', country: 'GB' },
  { at: '2026-03-02T09:25:00.000Z', type: 'code_verified', country: 'US', elapsedMs: 30_000 },
  { at: '2026-03-02T09:26:00.000Z', type: 'sign_in', country: 'US', reason: 'otp', isNewUser: false },
  { at: '2026-03-02T09:30:00.000Z', type: 'code_sent', country: null },
  { at: '2026-03-02T09:35:00.000Z', type: 'code_verified', country: 'GB', elapsedMs: 20_000 },
  { at: '2026-03-02T09:36:00.000Z', type: 'sign_in', country: 'GB', reason: 'otp', isNewUser: true },
  { at: '2026-03-02T09:40:00.000Z', type: 'code_sent', country: 'US', reason: 'test_number' },
  { at: '2026-03-02T09:50:00.000Z', type: 'code_failed', country: 'US', reason: 'otp_invalid' },
  { at: '2026-03-02T09:55:00.000Z', type: 'code_burned', country: 'GB', reason: 'otp_attempts_exceeded' },
  // Day 1, 10h.
  { at: '2026-03-02T10:05:00.000Z', type: 'code_send_refused', country: 'US', reason: 'cooldown' },
  { at: '2026-03-02T10:10:00.000Z', type: 'code_send_refused', country: 'US', reason: 'cooldown' },
  { at: '2026-03-02T10:15:00.000Z', type: 'code_send_refused', country: 'GB', reason: 'phone_limit' },
  { at: '2026-03-02T10:20:00.000Z', type: 'code_send_refused', country: null, reason: 'sms_budget' },
  { at: '2026-03-02T10:30:00.000Z', type: 'session_revoked', reason: 'revoked' },
  // Day 2.
  { at: '2026-03-03T11:00:00.000Z', type: 'code_send_refused', country: 'FR', reason: 'country_budget' },
  { at: '2026-03-03T14:00:00.000Z', type: 'code_sent', country: 'FR' },
  { at: '2026-03-03T14:01:00.000Z', type: 'code_sent', country: 'FR' },
  { at: '2026-03-03T14:02:00.000Z', type: 'code_verified', country: 'FR', elapsedMs: 5_000 },
  { at: '2026-03-03T14:03:00.000Z', type: 'code_verified', country: 'FR', elapsedMs: 7_001 },
  { at: '2026-03-03T14:04:00.000Z', type: 'code_failed', country: 'FR', reason: 'otp_expired' },
  { at: '2026-03-03T14:05:00.000Z', type: 'sign_in', country: 'FR', reason: 'otp', isNewUser: false },
  { at: '2026-03-03T14:06:00.000Z', type: 'refresh_reused' },
  { at: '2026-03-03T15:00:00.000Z', type: 'code_verified', country: 'US', elapsedMs: 50_000 },
  { at: '2026-03-03T16:00:00.000Z', type: 'code_verified', country: null, elapsedMs: 40_000 },
  { at: '2026-03-03T16:01:00.000Z', type: 'sign_in', country: null, reason: 'passkey', isNewUser: true },
  { at: '2026-03-03T23:59:59.999Z', type: 'code_sent', country: 'US' },
];

interface Counts {
  sent: number;
  verified: number;
  failed: number;
  refused: number;
  new_users: number;
  returning_users: number;
}

const ZERO: Counts = { sent: 0, verified: 0, failed: 0, refused: 0, new_users: 0, returning_users: 0 };

/** Counts with their conversion, as the API writes them. */
function counts(c: Partial<Counts>) {
  const all = { ...ZERO, ...c };
  return {
    sent: all.sent,
    verified: all.verified,
    failed: all.failed,
    refused: all.refused,
    conversion: all.sent ? all.verified / all.sent : null,
    new_users: all.new_users,
    returning_users: all.returning_users,
  };
}

function stats(c: Partial<Counts>, median: number | null, spend: number | null) {
  return { ...counts(c), median_verify_seconds: median, sms_spend: spend };
}

/** `length` buckets from `start`, zero but for `filled` (keyed by bucket index). */
function series(start: string, bucketMs: number, length: number, filled: Record<number, Partial<Counts>>) {
  return Array.from({ length }, (_, i) => ({
    start: new Date(Date.parse(start) + i * bucketMs).toISOString(),
    ...counts(filled[i] ?? {}),
  }));
}

const US = { sent: 4, verified: 3, failed: 1, refused: 2, new_users: 1, returning_users: 1 };
const GB = { sent: 1, verified: 1, failed: 1, refused: 1, new_users: 1 };
const FR = { sent: 2, verified: 2, failed: 1, refused: 1, returning_users: 1 };
const NO_COUNTRY = { sent: 1, verified: 1, refused: 1, new_users: 1 };
const TOTALS = { sent: 8, verified: 7, failed: 3, refused: 5, new_users: 3, returning_users: 2 };
const REFUSED_BY_REASON = { cooldown: 2, country_budget: 1, phone_limit: 1, sms_budget: 1 };
/** Hours of 2026-03-02T00:00Z on with events. */
const HOURS = {
  9: { sent: 5, verified: 3, failed: 2, new_users: 2, returning_users: 1 },
  10: { refused: 4 },
  35: { refused: 1 },
  38: { sent: 2, verified: 2, failed: 1, returning_users: 1 },
  39: { verified: 1 },
  40: { verified: 1, new_users: 1 },
  47: { sent: 1 },
};

describe.each(dialects())('admin analytics on %s', (dialect) => {
  describe('with SMS_PRICES=US:0.01,GB:0.04,*:0.05', () => {
    const app = useTestApp(dialect, { env: { ...ADMIN_ENV, SMS_PRICES: 'US:0.01,GB:0.04,*:0.05' } });

    function analytics(query: Record<string, string> = {}) {
      return app().http().get(ROUTE).query(query).set('Authorization', `Bearer ${ADMIN_TOKEN}`);
    }

    beforeAll(() => seed(app(), HISTORY));

    it('counts the seeded history exactly, per hour, per country and per refusal reason', async () => {
      const res = await analytics({ from: '2026-03-02', to: '2026-03-04', bucket: 'hour' }).expect(200);
      expect(res.body).toEqual({
        from: '2026-03-02T00:00:00.000Z',
        to: '2026-03-04T00:00:00.000Z',
        bucket: 'hour',
        currency: 'USD',
        // Verify times 5, 7.001, 10, 20, 30, 40 and 50 s: the middle one of seven.
        totals: stats(TOTALS, 20, 0.23),
        series: series('2026-03-02T00:00:00Z', HOUR_MS, 48, HOURS),
        by_country: [
          // 4 messages (the test number's code costs nothing, the fallback does) at 0.01.
          { country: 'US', ...stats(US, 30, 0.04) },
          // FR has no price of its own: `*`. Two verify times, so their mean.
          { country: 'FR', ...stats(FR, 6.0005, 0.1) },
          { country: 'GB', ...stats(GB, 20, 0.04) },
          { country: null, ...stats(NO_COUNTRY, 40, 0.05) },
        ],
        refused_by_reason: REFUSED_BY_REASON,
      });
      expect(Object.keys(res.body.refused_by_reason)).toEqual([
        'cooldown',
        'country_budget',
        'phone_limit',
        'sms_budget',
      ]);
    });

    it('adds the same events up per UTC day', async () => {
      const res = await analytics({ from: '2026-03-02T00:00:00Z', to: '2026-03-04T00:00:00Z', bucket: 'day' });
      expect(res.status).toBe(200);
      expect(res.body.bucket).toBe('day');
      expect(res.body.totals).toEqual(stats(TOTALS, 20, 0.23));
      expect(res.body.series).toEqual(
        series('2026-03-02T00:00:00Z', DAY_MS, 2, {
          0: { sent: 5, verified: 3, failed: 2, refused: 4, new_users: 2, returning_users: 1 },
          1: { sent: 3, verified: 4, failed: 1, refused: 1, new_users: 1, returning_users: 1 },
        }),
      );
    });

    it('counts exactly from `from` to just before `to`, in buckets aligned to the UTC hour', async () => {
      const res = await analytics({ from: '2026-03-02T09:30:00Z', to: '2026-03-02T11:10:00+01:00' }).expect(200);
      expect(res.body).toEqual({
        from: '2026-03-02T09:30:00.000Z',
        to: '2026-03-02T10:10:00.000Z',
        bucket: 'hour',
        currency: 'USD',
        totals: stats({ sent: 2, verified: 1, failed: 2, refused: 1, new_users: 1 }, 20, 0.05),
        series: series('2026-03-02T09:00:00Z', HOUR_MS, 2, {
          0: { sent: 2, verified: 1, failed: 2, new_users: 1 },
          1: { refused: 1 },
        }),
        by_country: [
          { country: 'US', ...stats({ sent: 1, failed: 1, refused: 1 }, null, 0) },
          { country: null, ...stats({ sent: 1 }, null, 0.05) },
          { country: 'GB', ...stats({ verified: 1, failed: 1, new_users: 1 }, 20, 0) },
        ],
        refused_by_reason: { cooldown: 1 },
      });
    });

    it('chooses hours for a range up to 2 days and days for a longer one', async () => {
      const twoDays = await analytics({ from: '2026-03-02', to: '2026-03-04' }).expect(200);
      expect(twoDays.body.bucket).toBe('hour');
      expect(twoDays.body.series).toEqual(series('2026-03-02T00:00:00Z', HOUR_MS, 48, HOURS));

      const threeDays = await analytics({ from: '2026-03-01', to: '2026-03-04' }).expect(200);
      expect(threeDays.body.bucket).toBe('day');
      expect(threeDays.body.totals).toEqual(stats({ ...TOTALS, sent: 9 }, 20, 0.24));
      const days = threeDays.body.series as { start: string; sent: number }[];
      expect(days.map((b) => [b.start, b.sent])).toEqual([
        ['2026-03-01T00:00:00.000Z', 1],
        ['2026-03-02T00:00:00.000Z', 5],
        ['2026-03-03T00:00:00.000Z', 3],
      ]);
    });

    it('keeps to one country with `country`: an even count of verify times has the mean of the middle two', async () => {
      const fr = await analytics({ from: '2026-03-02', to: '2026-03-04', bucket: 'day', country: 'FR' }).expect(200);
      expect(fr.body).toEqual({
        from: '2026-03-02T00:00:00.000Z',
        to: '2026-03-04T00:00:00.000Z',
        bucket: 'day',
        currency: 'USD',
        totals: stats(FR, 6.0005, 0.1),
        series: series('2026-03-02T00:00:00Z', DAY_MS, 2, { 1: FR }),
        by_country: [{ country: 'FR', ...stats(FR, 6.0005, 0.1) }],
        refused_by_reason: { country_budget: 1 },
      });

      const us = await analytics({ from: '2026-03-02', to: '2026-03-04', bucket: 'day', country: 'US' }).expect(200);
      expect(us.body.totals).toEqual(stats(US, 30, 0.04));
      expect(us.body.by_country).toEqual([{ country: 'US', ...stats(US, 30, 0.04) }]);
      expect(us.body.refused_by_reason).toEqual({ cooldown: 2 });

      const none = await analytics({ from: '2026-03-02', to: '2026-03-04', country: 'JP' }).expect(200);
      expect(none.body.totals).toEqual(stats({}, null, 0));
      expect(none.body.by_country).toEqual([]);
      expect(none.body.refused_by_reason).toEqual({});
    });

    it('answers zeros in every bucket of a range without events', async () => {
      const res = await analytics({ from: '2026-02-01', to: '2026-02-02' }).expect(200);
      expect(res.body).toEqual({
        from: '2026-02-01T00:00:00.000Z',
        to: '2026-02-02T00:00:00.000Z',
        bucket: 'hour',
        currency: 'USD',
        totals: stats({}, null, 0),
        series: series('2026-02-01T00:00:00Z', HOUR_MS, 24, {}),
        by_country: [],
        refused_by_reason: {},
      });
    });

    it('covers the last 7 days by the day when no range is given, and 7 days before `to` when only it is', async () => {
      const now = Date.now();
      await seed(app(), [
        { at: now - 8 * DAY_MS, type: 'code_sent', country: 'GB' },
        { at: now - 3 * DAY_MS, type: 'code_sent', country: 'GB' },
        { at: now - 3 * DAY_MS + 1000, type: 'code_verified', country: 'GB', elapsedMs: 12_000 },
      ]);
      const res = await analytics().expect(200);
      const to = Date.parse(res.body.to as string);
      expect(to).toBeGreaterThanOrEqual(now);
      expect(to).toBeLessThanOrEqual(Date.now());
      expect(Date.parse(res.body.from as string)).toBe(to - 7 * DAY_MS);
      expect(res.body.bucket).toBe('day');
      const firstDay = Math.floor((to - 7 * DAY_MS) / DAY_MS) * DAY_MS;
      expect(res.body.series).toHaveLength(Math.ceil((to - firstDay) / DAY_MS));
      expect(res.body.series[0].start).toBe(new Date(firstDay).toISOString());
      expect(res.body.totals).toEqual(stats({ sent: 1, verified: 1 }, 12, 0.04));

      const before = await analytics({ to: '2026-03-04T00:00:00Z' }).expect(200);
      expect(before.body.from).toBe('2026-02-25T00:00:00.000Z');
      expect(before.body.bucket).toBe('day');
      expect(before.body.series).toHaveLength(7);
      expect(before.body.totals).toEqual(stats({ ...TOTALS, sent: 9 }, 20, 0.24));
    });

    it('allows 2000 buckets and refuses 2001 with 400 validation_failed', async () => {
      const from = Date.parse('2026-01-01T00:00:00Z');
      const at2000 = await analytics({
        from: new Date(from).toISOString(),
        to: new Date(from + 2000 * HOUR_MS).toISOString(),
        bucket: 'hour',
      }).expect(200);
      expect(at2000.body.series).toHaveLength(2000);

      const over = await analytics({
        from: new Date(from).toISOString(),
        to: new Date(from + 2000 * HOUR_MS + 1).toISOString(),
        bucket: 'hour',
      });
      expectProblem(over, 400, 'validation_failed');
      expect(over.body.errors).toEqual([{ field: 'bucket', message: expect.stringContaining('2001 hour buckets') }]);

      // A decade by the day, or by default.
      expectProblem(await analytics({ from: '2016-01-01', to: '2026-01-01' }), 400, 'validation_failed');
    });

    it.each([
      ['from equal to to', { from: '2026-03-02', to: '2026-03-02T00:00:00Z' }, 'from'],
      ['from after to', { from: '2026-03-03', to: '2026-03-02' }, 'from'],
      ['from after now with no to', { from: '2999-01-01' }, 'from'],
      ['a date that is not one', { from: 'yesterday' }, 'from'],
      ['a day that does not exist', { from: '2026-02-30' }, 'from'],
      ['a time without a zone', { to: '2026-03-02T10:00:00' }, 'to'],
      ['an empty date', { to: '' }, 'to'],
      ['an unknown bucket', { bucket: 'week' }, 'bucket'],
      ['a lower-case country', { country: 'us' }, 'country'],
      ['a three-letter country', { country: 'USA' }, 'country'],
      ['a code of no country', { country: 'ZZ' }, 'country'],
      ['an unknown parameter', { limit: '10' }, 'limit'],
    ])('refuses %s with 400 validation_failed', async (_case, query, field) => {
      const res = await analytics(query);
      expectProblem(res, 400, 'validation_failed');
      expect(res.body.errors).toEqual([{ field, message: expect.any(String) }]);
    });

    it('refuses a repeated parameter with 400, not 500', async () => {
      const res = await app()
        .http()
        .get(`${ROUTE}?bucket=day&bucket=hour&from=2026-03-01&from=2026-03-02`)
        .set('Authorization', `Bearer ${ADMIN_TOKEN}`);
      expectProblem(res, 400, 'validation_failed');
    });

    it('answers on the path without its trailing slash', async () => {
      const res = await app()
        .http()
        .get('/api/admin/analytics?from=2026-03-02&to=2026-03-03')
        .set('Authorization', `Bearer ${ADMIN_TOKEN}`)
        .expect(200);
      expect(res.body.totals.sent).toBe(5);
    });
  });

  describe('with SMS_PRICES=US:0.01,GB:0.04 (no `*`)', () => {
    const app = useTestApp(dialect, {
      env: { ...ADMIN_ENV, SMS_PRICES: 'US:0.01,GB:0.04', SMS_PRICE_CURRENCY: 'EUR' },
    });

    beforeAll(() => seed(app(), HISTORY));

    it('leaves countries without a price out of the spend', async () => {
      const res = await app()
        .http()
        .get(ROUTE)
        .query({ from: '2026-03-02', to: '2026-03-04' })
        .set('Authorization', `Bearer ${ADMIN_TOKEN}`)
        .expect(200);
      expect(res.body.currency).toBe('EUR');
      expect(res.body.totals.sms_spend).toBe(0.08);
      expect(spendByCountry(res)).toEqual([
        ['US', 0.04],
        ['FR', null],
        ['GB', 0.04],
        [null, null],
      ]);
    });
  });

  describe('without SMS_PRICES', () => {
    const app = useTestApp(dialect, { env: ADMIN_ENV });

    beforeAll(() => seed(app(), HISTORY));

    it('estimates no spend, and counts as ever', async () => {
      const res = await app()
        .http()
        .get(ROUTE)
        .query({ from: '2026-03-02', to: '2026-03-04' })
        .set('Authorization', `Bearer ${ADMIN_TOKEN}`)
        .expect(200);
      expect(res.body.totals).toEqual(stats(TOTALS, 20, null));
      expect(spendByCountry(res)).toEqual([
        ['US', null],
        ['FR', null],
        ['GB', null],
        [null, null],
      ]);
    });

    it("refuses a user's access token, a wrong admin token and none with 401", async () => {
      const { tokens } = await signIn(app(), '+12015550161');
      const asUser = await app().http().get(ROUTE).set('Authorization', `Bearer ${tokens.access}`);
      expectProblem(asUser, 401, 'unauthorized');
      const wrong = await app().http().get(ROUTE).set('Authorization', `Bearer ${ADMIN_TOKEN}x`);
      expectProblem(wrong, 401, 'unauthorized');
      expectProblem(await app().http().get(ROUTE), 401, 'unauthorized');
    });
  });

  describe('without ADMIN_API_TOKENS', () => {
    const app = useTestApp(dialect);

    it('does not exist', async () => {
      expectProblem(await app().http().get(ROUTE).set('Authorization', `Bearer ${ADMIN_TOKEN}`), 404, 'not_found');
    });
  });
});

function spendByCountry(res: Response): [string | null, number | null][] {
  return (res.body.by_country as { country: string | null; sms_spend: number | null }[]).map((c) => [
    c.country,
    c.sms_spend,
  ]);
}
