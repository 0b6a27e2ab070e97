import type Redis from 'ioredis';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  connectRedis,
  expectFailsClosed,
  redisReady,
  specRedisUrl,
  uniqueSpecPrefix,
  unreachableRedis,
} from '../../test/helpers/redis-spec';
import { describeRateLimitStoreContract } from './rate-limit.store.contract';
import type { LimitRule } from './rate-limit.store';
import { RedisRateLimitStore } from './redis-rate-limit.store';

/**
 * Against the real Redis at TEST_REDIS_URL (DESIGN §8), each test under a key prefix of its own
 * that is deleted afterwards. The contract moves time by bringing expiries nearer; the tests of
 * Redis's own clock use real windows of a few hundred ms.
 */
const url = specRedisUrl('Redis store');

const uniquePrefix = () => uniqueSpecPrefix('rate');

(url ? describe : describe.skip)('RedisRateLimitStore (real Redis)', () => {
  const connections: Redis[] = [];
  let admin: Redis;

  /** A store on a connection of its own, as another instance of the service would have. */
  async function instance(prefix: string): Promise<RedisRateLimitStore> {
    const redis = connectRedis(url!);
    connections.push(redis);
    await redisReady(redis);
    return new RedisRateLimitStore(redis, prefix);
  }

  async function cleanUp(prefix: string): Promise<void> {
    const keys = await admin.keys(`${prefix}*`);
    if (keys.length) await admin.del(...keys);
    connections.splice(0).forEach((redis) => redis.disconnect());
  }

  beforeAll(async () => {
    admin = connectRedis(url!);
    await redisReady(admin);
  });

  afterAll(() => admin.disconnect());

  describeRateLimitStoreContract('RedisRateLimitStore', async () => {
    const prefix = uniquePrefix();
    return {
      store: await instance(prefix),
      sharing: () => instance(prefix),
      // Expiry is Redis's own, so time passes for the store when every window's expiry comes nearer.
      advance: async (ms) => {
        for (const key of await admin.keys(`${prefix}*`)) {
          const ttl = await admin.pttl(key);
          if (ttl > ms) await admin.pexpire(key, ttl - ms);
          else if (ttl >= 0) await admin.del(key);
        }
      },
      // Real time passes between the calls too; a few milliseconds locally, more on a busy machine.
      slackMs: 500,
      close: () => cleanUp(prefix),
    };
  });

  describe('specific to Redis', () => {
    let prefix: string;
    let store: RedisRateLimitStore;

    const count = async (key: string) => Number((await admin.get(prefix + key)) ?? 0);

    beforeEach(async () => {
      prefix = uniquePrefix();
      store = await instance(prefix);
    });

    afterEach(() => cleanUp(prefix));

    it('keeps stores with different prefixes apart, as two deployments sharing one Redis', async () => {
      const rule: LimitRule = { key: 'k', limit: 1, windowMs: 60_000 };
      const other = new RedisRateLimitStore(admin, `${prefix}other:`);
      await store.consume([rule]);

      await expect(other.consume([rule])).resolves.toEqual({ allowed: true });
      await expect(store.consume([rule])).resolves.toMatchObject({ allowed: false });
    });

    describe('windows, on Redis’s own clock', () => {
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

      it('leave no key without an expiry, so nothing is kept past its window, and check creates none', async () => {
        await store.consume([
          { key: 'a', limit: 5, windowMs: 60_000 },
          { key: 'b', limit: 5, windowMs: 3_600_000 },
        ]);
        await store.increment('c', 1_000);
        await store.check([{ key: 'd', limit: 5, windowMs: 60_000 }]);

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
        redis = await unreachableRedis();
        down = new RedisRateLimitStore(redis, prefix);
      });

      afterEach(() => redis.disconnect());

      it('fails closed: every operation rejects with service_unavailable and a Retry-After, never allows', async () => {
        const rule: LimitRule = { key: 'k', limit: 100, windowMs: 60_000 };
        await expectFailsClosed(down.consume([rule]));
        await expectFailsClosed(down.check([rule]));
        await expectFailsClosed(down.increment('k', 60_000));
        await expectFailsClosed(down.reset(['k']));
      });

      it('answers an empty rule list and resets an empty key list without asking Redis', async () => {
        await expect(down.consume([])).resolves.toEqual({ allowed: true });
        await expect(down.check([])).resolves.toEqual({ allowed: true });
        await expect(down.reset([])).resolves.toBeUndefined();
      });
    });
  });
});
