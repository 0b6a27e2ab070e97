import Redis from 'ioredis';
import { randomBytes } from 'node:crypto';
import { createServer, type AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { ProblemException } from '../errors/problem.exception';
import type { LimitRule } from './rate-limit.store';
import { RedisRateLimitStore } from './redis-rate-limit.store';

/**
 * Against the real Redis at TEST_REDIS_URL (DESIGN §8), each test under a key prefix of its own
 * that is deleted afterwards. Windows are real time here, so they are kept to a few hundred ms.
 */
const url = process.env.TEST_REDIS_URL;
if (!url && process.env.CI === 'true') {
  throw new Error('CI=true but TEST_REDIS_URL is not set: the Redis store spec would be skipped');
}

/** Options as the app's own connection (rate-limit.module.ts): fail fast, never queue. */
const connect = (at: string) =>
  new Redis(at, { enableOfflineQueue: false, maxRetriesPerRequest: 1, connectTimeout: 2_000, commandTimeout: 1_000 });

const ready = (redis: Redis) =>
  redis.status === 'ready' ? Promise.resolve() : new Promise<void>((resolve) => redis.once('ready', resolve));

(url ? describe : describe.skip)('RedisRateLimitStore (real Redis)', () => {
  const connections: Redis[] = [];
  let admin: Redis;
  let prefix: string;
  let store: RedisRateLimitStore;

  /** A store on a connection of its own, as another instance of the service would have. */
  async function instance(): Promise<RedisRateLimitStore> {
    const redis = connect(url!);
    connections.push(redis);
    await ready(redis);
    return new RedisRateLimitStore(redis, prefix);
  }

  const count = async (key: string) => Number((await admin.get(prefix + key)) ?? 0);

  beforeAll(async () => {
    admin = connect(url!);
    await ready(admin);
  });

  beforeEach(async () => {
    prefix = `otp-auth-test-${randomBytes(6).toString('hex')}:rate:`;
    store = await instance();
  });

  afterEach(async () => {
    const keys = await admin.keys(`${prefix}*`);
    if (keys.length) await admin.del(...keys);
    connections.splice(0).forEach((redis) => redis.disconnect());
  });

  afterAll(() => admin.disconnect());

  describe('consume', () => {
    it('lets exactly `limit` of 50 parallel callers on 5 connections through and counts each rule once per admitted call', async () => {
      const tight: LimitRule = { key: 'phone:hour', limit: 7, windowMs: 60_000 };
      const loose: LimitRule = { key: 'budget', limit: 30, windowMs: 60_000 };
      const stores = await Promise.all(Array.from({ length: 5 }, () => instance()));

      const verdicts = await Promise.all(Array.from({ length: 50 }, (_, i) => stores[i % 5].consume([tight, loose])));

      expect(verdicts.filter((v) => v.allowed)).toHaveLength(7);
      for (const verdict of verdicts.filter((v) => !v.allowed)) {
        expect(verdict).toEqual({ allowed: false, rule: tight, retryAfterMs: expect.any(Number) });
        if (!verdict.allowed) expect(verdict.retryAfterMs).toBeGreaterThan(59_000);
      }
      // All or nothing: the 43 refused calls counted against neither rule.
      expect(await count(tight.key)).toBe(7);
      expect(await count(loose.key)).toBe(7);
    });

    it('names the rule that is full when it is not the first, and counts nothing against the others', async () => {
      const cooldown: LimitRule = { key: 'cooldown', limit: 50, windowMs: 60_000 };
      const budget: LimitRule = { key: 'budget', limit: 3, windowMs: 60_000 };
      const stores = await Promise.all(Array.from({ length: 5 }, () => instance()));

      const verdicts = await Promise.all(
        Array.from({ length: 50 }, (_, i) => stores[i % 5].consume([cooldown, budget])),
      );

      expect(verdicts.filter((v) => v.allowed)).toHaveLength(3);
      expect(verdicts.filter((v) => !v.allowed && v.rule === budget)).toHaveLength(47);
      expect(await count(cooldown.key)).toBe(3);
      expect(await count(budget.key)).toBe(3);
    });

    it('keeps stores with different prefixes apart, as two deployments sharing one Redis', async () => {
      const rule: LimitRule = { key: 'k', limit: 1, windowMs: 60_000 };
      const other = new RedisRateLimitStore(admin, `${prefix}other:`);
      await store.consume([rule]);

      await expect(other.consume([rule])).resolves.toEqual({ allowed: true });
      await expect(store.consume([rule])).resolves.toMatchObject({ allowed: false });
    });

    it('allows an empty rule list without touching Redis', async () => {
      await expect(store.consume([])).resolves.toEqual({ allowed: true });
    });
  });

  describe('windows', () => {
    it('expire in Redis: a full 200 ms window allows again once it has passed', async () => {
      const rule: LimitRule = { key: 'short', limit: 2, windowMs: 200 };
      await store.consume([rule]);
      await store.consume([rule]);
      const refused = await store.consume([rule]);
      expect(refused).toMatchObject({ allowed: false, rule });
      if (!refused.allowed) expect(refused.retryAfterMs).toBeLessThanOrEqual(200);

      await sleep(250);

      await expect(store.consume([rule])).resolves.toEqual({ allowed: true });
      expect(await count(rule.key)).toBe(1);
    });

    it('start at the first hit and do not slide: increment reports the time left, then starts again from 1', async () => {
      const first = await store.increment('ip', 200);
      expect(first.count).toBe(1);
      expect(first.resetInMs).toBeGreaterThan(100);
      expect(first.resetInMs).toBeLessThanOrEqual(200);
      await sleep(100);
      const second = await store.increment('ip', 200);
      expect(second.count).toBe(2);
      expect(second.resetInMs).toBeLessThanOrEqual(first.resetInMs - 50);

      await sleep(150);

      await expect(store.increment('ip', 200)).resolves.toMatchObject({ count: 1 });
    });

    it('leave no key without an expiry, so nothing is kept past its window', async () => {
      await store.consume([
        { key: 'a', limit: 5, windowMs: 60_000 },
        { key: 'b', limit: 5, windowMs: 3_600_000 },
      ]);
      await store.increment('c', 1_000);

      const keys = await admin.keys(`${prefix}*`);
      expect(keys.sort()).toEqual([`${prefix}a`, `${prefix}b`, `${prefix}c`]);
      const ttls = await Promise.all(keys.sort().map((key) => admin.pttl(key)));
      expect(ttls[0]).toBeGreaterThan(59_000);
      expect(ttls[0]).toBeLessThanOrEqual(60_000);
      expect(ttls[1]).toBeGreaterThan(3_599_000);
      expect(ttls[2]).toBeGreaterThan(0);
      expect(ttls[2]).toBeLessThanOrEqual(1_000);
    });
  });

  describe('check', () => {
    it('counts nothing, however often it is asked, even in parallel', async () => {
      const rule: LimitRule = { key: 'k', limit: 2, windowMs: 60_000 };

      const verdicts = await Promise.all(Array.from({ length: 50 }, () => store.check([rule])));

      expect(verdicts.every((v) => v.allowed)).toBe(true);
      expect(await admin.exists(prefix + rule.key)).toBe(0);
    });

    it('answers like consume once a rule is full, with the time left in its window', async () => {
      const rule: LimitRule = { key: 'k', limit: 2, windowMs: 60_000 };
      await store.consume([rule]);
      await store.consume([rule]);

      const verdict = await store.check([rule]);

      expect(verdict).toMatchObject({ allowed: false, rule });
      if (!verdict.allowed) expect(verdict.retryAfterMs).toBeGreaterThan(59_000);
      expect(await count(rule.key)).toBe(2);
    });
  });

  describe('reset', () => {
    it('deletes the named keys only, so their next window starts from zero', async () => {
      const a: LimitRule = { key: 'a', limit: 1, windowMs: 60_000 };
      const b: LimitRule = { key: 'b', limit: 1, windowMs: 60_000 };
      await store.consume([a]);
      await store.consume([b]);

      await store.reset(['a', 'not-there']);

      await expect(store.consume([a])).resolves.toEqual({ allowed: true });
      await expect(store.consume([b])).resolves.toMatchObject({ allowed: false, rule: b });
    });

    it('does nothing for an empty list', async () => {
      await expect(store.reset([])).resolves.toBeUndefined();
    });
  });

  describe('scripts', () => {
    it('travel once per connection; after that each call sends only the digest (EVALSHA)', async () => {
      const monitor = await admin.monitor();
      const sent: string[] = [];
      monitor.on('monitor', (_time: string, args: string[], source: string) => {
        // Skip the commands the scripts run inside Redis; keep what came over a connection.
        if (source !== 'lua' && args.some((arg) => arg.startsWith(prefix))) sent.push(args[0].toLowerCase());
      });
      const rule: LimitRule = { key: 'k', limit: 5, windowMs: 60_000 };

      await store.consume([rule]);
      await store.consume([rule]);
      await store.check([rule]);
      await store.increment('ip', 60_000);
      await store.increment('ip', 60_000);
      await admin.exists(`${prefix}end`);
      for (let i = 0; i < 100 && !sent.includes('exists'); i++) await sleep(10);
      monitor.disconnect();

      expect(sent).toEqual(['eval', 'evalsha', 'evalsha', 'eval', 'evalsha', 'exists']);
    });

    it('are sent again when Redis has forgotten them (restart, SCRIPT FLUSH), without failing the call', async () => {
      const rule: LimitRule = { key: 'k', limit: 5, windowMs: 60_000 };
      await store.consume([rule]);
      await store.increment('ip', 60_000);

      await admin.script('FLUSH');

      await expect(store.consume([rule])).resolves.toEqual({ allowed: true });
      await expect(store.increment('ip', 60_000)).resolves.toMatchObject({ count: 2 });
      expect(await count(rule.key)).toBe(2);
    });
  });

  describe('when Redis cannot be reached', () => {
    let down: RedisRateLimitStore;
    let redis: Redis;

    beforeEach(async () => {
      const closed = createServer();
      await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
      const { port } = closed.address() as AddressInfo;
      await new Promise<void>((resolve) => closed.close(() => resolve()));
      redis = connect(`redis://127.0.0.1:${port}`);
      redis.on('error', () => undefined);
      down = new RedisRateLimitStore(redis, prefix);
    });

    afterEach(() => redis.disconnect());

    const failsClosed = async (operation: Promise<unknown>) => {
      const error: unknown = await operation.then(
        () => 'resolved',
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(ProblemException);
      expect(error).toMatchObject({ code: 'service_unavailable', problem: { retryAfter: 5 } });
      expect((error as ProblemException).getStatus()).toBe(503);
    };

    it('fails closed: every operation rejects with service_unavailable and a Retry-After, never allows', async () => {
      const rule: LimitRule = { key: 'k', limit: 100, windowMs: 60_000 };
      await failsClosed(down.consume([rule]));
      await failsClosed(down.check([rule]));
      await failsClosed(down.increment('k', 60_000));
      await failsClosed(down.reset(['k']));
    });
  });
});
