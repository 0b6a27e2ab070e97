import type Redis from 'ioredis';
import {
  connectRedis,
  expectFailsClosed,
  redisReady,
  specRedisUrl,
  uniqueSpecPrefix,
  unreachableRedis,
} from '../../test/helpers/redis-spec';
import { CONTRACT_RULES, describeConversionStoreContract, trippedBy } from './conversion.store.contract';
import type { BreakerScope, ConversionRules } from './conversion.store';
import { RedisConversionStore } from './redis-conversion.store';

/**
 * Against the real Redis at TEST_REDIS_URL (DESIGN §8), each test under a key prefix of its own
 * that is deleted afterwards. Times are the caller's, so the contract needs no clock of Redis's.
 */
const url = specRedisUrl('Redis conversion store');

const uniquePrefix = () => uniqueSpecPrefix('fraud');

(url ? describe : describe.skip)('RedisConversionStore (real Redis)', () => {
  const connections: Redis[] = [];
  let admin: Redis;

  /** A store on a connection of its own, as another instance of the service would have. */
  async function instance(prefix: string, rules: ConversionRules = CONTRACT_RULES): Promise<RedisConversionStore> {
    const redis = connectRedis(url!);
    connections.push(redis);
    await redisReady(redis);
    return new RedisConversionStore(redis, prefix, rules);
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

  describeConversionStoreContract('RedisConversionStore', async (rules) => {
    const prefix = uniquePrefix();
    return {
      store: await instance(prefix, rules),
      sharing: () => instance(prefix, rules),
      close: () => cleanUp(prefix),
    };
  });

  describe('specific to Redis', () => {
    const T0 = 1_783_512_000_000;
    const prefixScope: BreakerScope = { key: 'prefix:+1201555', minSends: 3 };
    const countryScope: BreakerScope = { key: 'country:US', minSends: 100 };
    let prefix: string;
    let store: RedisConversionStore;

    beforeEach(async () => {
      prefix = uniquePrefix();
      store = await instance(prefix);
    });

    afterEach(() => cleanUp(prefix));

    it('leaves no key without an expiry: window counts live two windows, a trip its cooldown', async () => {
      await store.recordVerified([countryScope.key], T0);
      for (let i = 0; i < 3; i++) await store.recordSend([countryScope, prefixScope], T0 + 1);

      const keys = (await admin.keys(`${prefix}*`)).sort();
      expect(keys).toEqual([`${prefix}country:US:${T0 / CONTRACT_RULES.windowMs}`, `${prefix}trip:prefix:+1201555`]);
      const [window, trip] = await Promise.all(keys.map((key) => admin.pttl(key)));
      expect(window).toBeGreaterThan(2 * CONTRACT_RULES.windowMs - 1_000);
      expect(window).toBeLessThanOrEqual(2 * CONTRACT_RULES.windowMs);
      expect(trip).toBeGreaterThan(CONTRACT_RULES.cooldownMs - 1_000);
      expect(trip).toBeLessThanOrEqual(CONTRACT_RULES.cooldownMs);
    });

    it('keeps a trip by the caller’s clock, even one far ahead of Redis’s', async () => {
      const farAhead = Date.now() + 365 * 86_400_000;
      for (let i = 0; i < 3; i++) await store.recordSend([prefixScope], farAhead);

      await expect(store.trippedFor([prefixScope.key], farAhead + 1_000)).resolves.toBe(
        CONTRACT_RULES.cooldownMs - 1_000,
      );
    });

    it('keeps stores with different prefixes apart, as two deployments sharing one Redis', async () => {
      const other = new RedisConversionStore(admin, `${prefix}other:`, CONTRACT_RULES);
      for (let i = 0; i < 3; i++) await store.recordSend([prefixScope], T0);

      await expect(other.trippedFor([prefixScope.key], T0)).resolves.toBe(0);
      await expect(other.recordSend([prefixScope], T0).then(trippedBy)).resolves.toEqual([]);
    });

    describe('when Redis cannot be reached', () => {
      let down: RedisConversionStore;
      let redis: Redis;

      beforeEach(async () => {
        redis = await unreachableRedis();
        down = new RedisConversionStore(redis, prefix, CONTRACT_RULES);
      });

      afterEach(() => redis.disconnect());

      it('fails closed: every operation rejects with service_unavailable and a Retry-After, never "not tripped"', async () => {
        await expectFailsClosed(down.trippedFor([prefixScope.key], T0));
        await expectFailsClosed(down.recordSend([prefixScope], T0));
        await expectFailsClosed(down.recordVerified([prefixScope.key], T0));
      });

      it('answers empty key and scope lists without asking Redis', async () => {
        await expect(down.trippedFor([], T0)).resolves.toBe(0);
        await expect(down.recordSend([], T0).then(trippedBy)).resolves.toEqual([]);
        await expect(down.recordVerified([], T0)).resolves.toBeUndefined();
      });
    });
  });
});
