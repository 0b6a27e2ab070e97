import { setTimeout as sleep } from 'node:timers/promises';
import request, { type Response } from 'supertest';
import { Session } from '../src/sessions/session.entity';
import { User } from '../src/users/user.entity';
import { ROUTES } from './helpers/api-client';
import { productionBackendsAvailable, testRedisUrl } from './helpers/backends';
import { latestOtpRow, userRows } from './helpers/db-rows';
import { eventually } from './helpers/eventually';
import { expectProblem } from './helpers/problems';
import { requestCode, signIn, type SignedIn } from './helpers/sign-in';
import { TcpProxy } from './helpers/tcp-proxy';
import { useTestApp, type TestApp } from './helpers/test-app';

/**
 * Issue 5, "Outages": the app on PostgreSQL + Redis with both reached through TCP proxies, so a
 * test can take either away from this app alone, mid-traffic, and give it back.
 */

/** What must never reach a client: stack frames, driver errors, SQL, file paths. */
const INTERNALS =
  /\n\s+at |node_modules|\/src\/|QueryFailedError|TypeORMError|ECONN|EPIPE|terminated|ioredis|SELECT |INSERT |UPDATE /i;

function expectUnavailable(res: Response): void {
  expectProblem(res, 503, 'service_unavailable');
  expect(res.headers['retry-after']).toMatch(/^[1-9]\d*$/);
  expect(res.text).not.toMatch(INTERNALS);
}

let nextPhone = 2000;
/** A fresh valid number per call (+12015552000, …), so no test meets another's limits or codes. */
const freshPhone = () => `+1201555${nextPhone++}`;

interface Outcome {
  route: string;
  phase: 'before' | 'down' | 'after';
  res: Response;
}

/**
 * Runs `script` while four clients loop through sign-in traffic (send-otp, verify-otp with the
 * texted code, the profile), recording every answer with the phase it was sent in; the traffic
 * stops when the script ends, whether it passed or failed.
 */
async function withTraffic(
  t: TestApp,
  signedIn: SignedIn,
  script: (setPhase: (phase: Outcome['phase']) => void) => Promise<void>,
): Promise<Outcome[]> {
  const outcomes: Outcome[] = [];
  let phase: Outcome['phase'] = 'before';
  let stopped = false;
  const record = async (route: string, send: () => Promise<Response>) => {
    const sentIn = phase;
    const res = await send();
    outcomes.push({ route, phase: sentIn, res });
    return res;
  };
  const client = async () => {
    while (!stopped) {
      const phone = freshPhone();
      const sent = await record(ROUTES.sendOtp, () => t.api.sendOtp(phone));
      if (sent.status === 200) {
        const code = t.sms.lastCodeFor(phone);
        await record(ROUTES.verifyOtp, () => t.api.verifyOtp(phone, code));
      }
      await record(ROUTES.profile, () => t.api.profile(signedIn.tokens.access));
      await sleep(20);
    }
  };
  const clients = Array.from({ length: 4 }, client);
  let settled: PromiseSettledResult<void>[];
  try {
    await sleep(300);
    await script((next) => (phase = next));
    await sleep(300);
  } finally {
    stopped = true;
    settled = await Promise.allSettled(clients);
  }
  // A request the OpenAPI check refused is a failure of its own.
  for (const result of settled) if (result.status === 'rejected') throw result.reason;
  return outcomes;
}

const suite = productionBackendsAvailable() ? describe : describe.skip;

suite('outages of PostgreSQL and Redis, through TCP proxies', () => {
  let database: TcpProxy;
  let redis: TcpProxy;
  beforeAll(async () => {
    database = await TcpProxy.forUrl(process.env.TEST_DATABASE_URL!);
    redis = await TcpProxy.forUrl(testRedisUrl());
  });
  const app = useTestApp('postgres', () => ({
    redis: true,
    mapDatabaseUrl: (url) => database.urlThrough(url),
    env: {
      REDIS_URL: redis.urlThrough(testRedisUrl()),
      DATABASE_CONNECT_TIMEOUT: '1s',
      OTP_RESEND_COOLDOWN: '60s',
    },
  }));
  afterEach(() => {
    database?.restore();
    redis?.restore();
  });
  // After the app's own afterAll: the proxies stay up until the app has closed its connections.
  afterAll(async () => {
    await database?.close();
    await redis?.close();
  });

  /** Status-only probes, not checked against the OpenAPI document (redis.e2e-spec checks /health/ready's). */
  const probe = () => request(app().app.getHttpServer());

  describe('the database cut off mid-traffic', () => {
    it('answers every request with 200 or a clean 503 with Retry-After, and 200 again on its own once it is back', async () => {
      const t = app();
      const signedIn = await signIn(t, freshPhone());

      const outcomes = await withTraffic(t, signedIn, async (setPhase) => {
        database.cut();
        setPhase('down');
        // Beside the traffic, one of each while it is certainly down.
        const phone = freshPhone();
        expectUnavailable(await t.api.sendOtp(phone));
        expectUnavailable(await t.api.verifyOtp(phone, '123456'));
        expectUnavailable(await t.api.refresh(signedIn.tokens.refresh));
        await probe().get(ROUTES.healthReady).expect(503);
        await probe().get(ROUTES.healthLive).expect(200);
        await sleep(500);

        database.restore();
        setPhase('after');
        await eventually(() => probe().get(ROUTES.healthReady), 200);
        // A number not tried during the outage (see "a send whose code INSERT is cut off").
        const later = freshPhone();
        await eventually(() => t.api.sendOtp(later), 200);
        await t.api.verifyOtp(later, t.sms.lastCodeFor(later)).expect(200);
      });

      const summary = outcomes.map(({ route, phase: p, res }) => `${p} ${route} ${res.status} ${res.body?.code ?? ''}`);
      expect(outcomes.filter((o) => o.phase === 'down').length).toBeGreaterThan(0);
      for (const { res } of outcomes.filter((o) => o.res.status !== 200)) {
        expect({ status: res.status, code: res.body?.code, summary }).toMatchObject({
          status: 503,
          code: 'service_unavailable',
        });
        expectUnavailable(res);
      }
      for (const route of [ROUTES.sendOtp, ROUTES.verifyOtp, ROUTES.profile]) {
        expect(outcomes.some((o) => o.route === route && o.phase === 'after' && o.res.status === 200)).toBe(true);
      }
    });

    it('answers the profile of a signed-in user 503, not 401, while the database is down: an outage must not sign anyone out', async () => {
      const t = app();
      const { tokens } = await signIn(t, freshPhone());
      database.cut();

      const res = await t.api.profile(tokens.access);

      expectUnavailable(res);
      database.restore();
      await eventually(() => t.api.profile(tokens.access), 200);
    });

    it('leaves no user without a session who counts as signed in: such rows never completed a sign-in', async () => {
      const t = app();
      const withSession = new Set((await t.db.getRepository(Session).find()).map((session) => session.userId));
      const orphans = (await t.db.getRepository(User).find()).filter((user) => !withSession.has(user.id));
      expect(orphans.filter((user) => user.lastLogin !== null)).toEqual([]);
    });
  });

  describe('a sign-in whose session INSERT is cut off', () => {
    const phone = freshPhone();
    let code: string;
    let res: Response;

    beforeAll(async () => {
      const t = app();
      code = await requestCode(t, phone);
      const fired = database.cutWhenClientSends('INSERT INTO sessions');
      res = await t.api.verifyOtp(phone, code);
      await fired;
      database.restore();
      await eventually(() => probe().get(ROUTES.healthReady), 200);
    });

    it('answers a clean 503 with Retry-After', () => {
      expectUnavailable(res);
    });

    it('leaves no session, and at most a user row that has never completed a sign-in', async () => {
      const t = app();
      const users = await userRows(t.db, phone);
      const sessions = await t.db.getRepository(Session).findBy({ user: { phoneNumber: phone } });
      expect(sessions).toEqual([]);
      expect(users.every((user) => user.lastLogin === null)).toBe(true);
    });

    it('leaves the code unconsumed, so the retry the 503 invites signs the user in as a new user', async () => {
      const t = app();
      expect(await latestOtpRow(t.db, phone)).toMatchObject({ consumedAt: null });

      const retry = await t.api.verifyOtp(phone, code);

      expect({ status: retry.status, code: retry.body?.code }).toEqual({ status: 200, code: undefined });
      expect(retry.body.is_new_user).toBe(true);
    });
  });

  describe('a send whose code INSERT is cut off (OTP_RESEND_COOLDOWN=60s)', () => {
    const phone = freshPhone();
    let res: Response;

    beforeAll(async () => {
      const t = app();
      const fired = database.cutWhenClientSends('INSERT INTO otp_codes');
      res = await t.api.sendOtp(phone);
      await fired;
      database.restore();
      await eventually(() => probe().get(ROUTES.healthReady), 200);
    });

    it('answers a clean 503 with Retry-After and texts nothing', () => {
      expectUnavailable(res);
      expect(app().sms.attempted.filter((m) => m.to === phone)).toEqual([]);
    });

    it('does not hold the resend cooldown against the retry the 503 invites, since no code was sent', async () => {
      const t = app();
      const retry = await t.api.sendOtp(phone);

      expect({ status: retry.status, code: retry.body?.code }).toEqual({ status: 200, code: undefined });
      expect(t.sms.countFor(phone)).toBe(1);
    });
  });

  describe('Redis cut off mid-traffic', () => {
    it('fails the OTP routes closed with 503 and texts nothing, keeps the profile working, and recovers on its own', async () => {
      const t = app();
      const signedIn = await signIn(t, freshPhone());
      let attemptedDuringCut = 0;

      const outcomes = await withTraffic(t, signedIn, async (setPhase) => {
        redis.cut();
        setPhase('down');
        const attemptedAtCut = t.sms.attempted.length;
        const phone = freshPhone();
        expectUnavailable(await t.api.sendOtp(phone));
        expectUnavailable(await t.api.verifyOtp(phone, '123456'));
        await t.api.profile(signedIn.tokens.access).expect(200);
        await t.api.refresh(signedIn.tokens.refresh).expect(200);
        await probe().get(ROUTES.healthReady).expect(503);
        await sleep(500);
        // A send admitted just before the cut may still be texting; none admitted during it.
        attemptedDuringCut = t.sms.attempted.length - attemptedAtCut;

        redis.restore();
        setPhase('after');
        await eventually(() => probe().get(ROUTES.healthReady), 200);
        await eventually(() => t.api.sendOtp(phone), 200);
      });

      expect(attemptedDuringCut).toBeLessThanOrEqual(4);
      const down = outcomes.filter((o) => o.phase === 'down');
      expect(down.length).toBeGreaterThan(0);
      for (const { route, res } of down) {
        expect({ route, status: res.status }).toEqual({ route, status: route === ROUTES.profile ? 200 : 503 });
      }
      for (const { res } of outcomes.filter((o) => o.res.status !== 200)) expectUnavailable(res);
      for (const route of [ROUTES.sendOtp, ROUTES.verifyOtp, ROUTES.profile]) {
        expect(outcomes.some((o) => o.route === route && o.phase === 'after' && o.res.status === 200)).toBe(true);
      }
    });
  });
});
