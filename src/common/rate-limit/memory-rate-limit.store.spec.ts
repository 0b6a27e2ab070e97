import { Logger } from '@nestjs/common';
import type { LimitRule } from './rate-limit.store';
import { MemoryRateLimitStore } from './memory-rate-limit.store';

const T0 = 1_783_512_000_000;

describe('MemoryRateLimitStore', () => {
  let now: number;
  let store: MemoryRateLimitStore;

  beforeEach(() => {
    now = T0;
    store = new MemoryRateLimitStore(() => now);
  });

  describe('increment', () => {
    it('counts hits in a fixed window that starts at the first hit and reports when it ends', async () => {
      await expect(store.increment('k', 1000)).resolves.toEqual({ count: 1, resetInMs: 1000 });
      now += 400;
      await expect(store.increment('k', 1000)).resolves.toEqual({ count: 2, resetInMs: 600 });
      now += 599;
      await expect(store.increment('k', 1000)).resolves.toEqual({ count: 3, resetInMs: 1 });
    });

    it('starts a new window from zero once the old one has ended, rather than sliding', async () => {
      await store.increment('k', 1000);
      await store.increment('k', 1000);
      now += 1000;

      await expect(store.increment('k', 1000)).resolves.toEqual({ count: 1, resetInMs: 1000 });
    });

    it('keeps separate keys separate', async () => {
      await store.increment('a', 1000);
      await store.increment('a', 1000);

      await expect(store.increment('b', 1000)).resolves.toEqual({ count: 1, resetInMs: 1000 });
    });
  });

  describe('consume', () => {
    const hour: LimitRule = { key: 'phone:hour', limit: 2, windowMs: 3_600_000 };
    const day: LimitRule = { key: 'phone:day', limit: 5, windowMs: 86_400_000 };

    it('allows up to the limit, then refuses naming the full rule and when its window ends', async () => {
      await expect(store.consume([hour])).resolves.toEqual({ allowed: true });
      now += 1000;
      await expect(store.consume([hour])).resolves.toEqual({ allowed: true });
      now += 1000;

      await expect(store.consume([hour])).resolves.toEqual({ allowed: false, rule: hour, retryAfterMs: 3_598_000 });
    });

    it('counts one hit against every rule when all have room', async () => {
      await store.consume([hour, day]);

      await expect(store.increment(hour.key, hour.windowMs)).resolves.toMatchObject({ count: 2 });
      await expect(store.increment(day.key, day.windowMs)).resolves.toMatchObject({ count: 2 });
    });

    it('counts nothing against any rule when one is full: all or nothing', async () => {
      const cooldown: LimitRule = { key: 'phone:cooldown', limit: 1, windowMs: 60_000 };
      await store.consume([cooldown, hour, day]);

      for (let i = 0; i < 5; i++) {
        await expect(store.consume([cooldown, hour, day])).resolves.toMatchObject({ allowed: false, rule: cooldown });
      }

      // One hit each from the first consume, plus the one these increments add.
      await expect(store.increment(hour.key, hour.windowMs)).resolves.toMatchObject({ count: 2 });
      await expect(store.increment(day.key, day.windowMs)).resolves.toMatchObject({ count: 2 });
    });

    it('names the first full rule in the order given', async () => {
      const a: LimitRule = { key: 'a', limit: 1, windowMs: 10_000 };
      const b: LimitRule = { key: 'b', limit: 1, windowMs: 20_000 };
      await store.consume([a, b]);

      await expect(store.consume([b, a])).resolves.toEqual({ allowed: false, rule: b, retryAfterMs: 20_000 });
      await expect(store.consume([a, b])).resolves.toEqual({ allowed: false, rule: a, retryAfterMs: 10_000 });
    });

    it('lets exactly `limit` of many parallel callers through', async () => {
      const rule: LimitRule = { key: 'parallel', limit: 3, windowMs: 60_000 };

      const verdicts = await Promise.all(Array.from({ length: 20 }, () => store.consume([rule])));

      expect(verdicts.filter((v) => v.allowed)).toHaveLength(3);
    });

    it('allows again once the full rule’s window has ended', async () => {
      await store.consume([hour]);
      await store.consume([hour]);
      now += hour.windowMs - 1;
      await expect(store.consume([hour])).resolves.toMatchObject({ allowed: false, retryAfterMs: 1 });
      now += 1;

      await expect(store.consume([hour])).resolves.toEqual({ allowed: true });
    });
  });

  describe('check', () => {
    it('answers like consume but counts nothing, however often it is asked', async () => {
      const rule: LimitRule = { key: 'k', limit: 2, windowMs: 60_000 };
      for (let i = 0; i < 10; i++) await expect(store.check([rule])).resolves.toEqual({ allowed: true });

      await store.consume([rule]);
      await store.consume([rule]);

      await expect(store.check([rule])).resolves.toEqual({ allowed: false, rule, retryAfterMs: 60_000 });
    });

    it('allows a rule with no hits yet', async () => {
      await expect(store.check([{ key: 'never', limit: 1, windowMs: 1000 }])).resolves.toEqual({ allowed: true });
    });
  });

  describe('reset', () => {
    it('clears the named keys only', async () => {
      const a: LimitRule = { key: 'a', limit: 1, windowMs: 60_000 };
      const b: LimitRule = { key: 'b', limit: 1, windowMs: 60_000 };
      await store.consume([a]);
      await store.consume([b]);

      await store.reset(['a', 'not-there']);

      await expect(store.consume([a])).resolves.toEqual({ allowed: true });
      await expect(store.consume([b])).resolves.toMatchObject({ allowed: false, rule: b });
    });

    it('starts a fresh window for the key after a reset', async () => {
      await store.increment('k', 1000);
      now += 900;
      await store.reset(['k']);

      await expect(store.increment('k', 1000)).resolves.toEqual({ count: 1, resetInMs: 1000 });
    });
  });

  describe('memory', () => {
    /** The store keeps no timers, so its maps are the only place a leak could show. */
    const size = (s: MemoryRateLimitStore): number => s.size;

    it('drops an expired window when its key is next read', async () => {
      await store.increment('k', 1000);
      now += 1000;

      await store.check([{ key: 'k', limit: 1, windowMs: 1000 }]);

      expect(size(store)).toBe(0);
    });

    it('sweeps expired windows of keys never touched again, every 10,000 writes', async () => {
      for (let i = 0; i < 100; i++) await store.increment(`stale:${i}`, 1000);
      now += 1000;
      for (let i = 100; i < 9_999; i++) await store.increment('live', 60_000);
      expect(size(store)).toBe(101);

      await store.increment('live', 60_000);

      expect(size(store)).toBe(1);
      await expect(store.increment('live', 60_000)).resolves.toMatchObject({ count: 9_901 });
    });

    describe('with a cap on the number of counters', () => {
      const budget: LimitRule = { key: 'budget', limit: 1_000, windowMs: 3_600_000 };
      let warn: jest.SpyInstance;

      beforeEach(() => {
        warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
        store = new MemoryRateLimitStore(() => now, 3);
      });

      afterEach(() => warn.mockRestore());

      it('never holds more counters than the cap, however many keys are counted', async () => {
        store = new MemoryRateLimitStore(() => now, 10);
        const sizes: number[] = [];
        for (let i = 0; i < 50; i++) {
          await store.consume([budget, { key: `phone:${i}`, limit: 5, windowMs: 86_400_000 }]);
          sizes.push(size(store));
        }

        expect(Math.max(...sizes)).toBeLessThanOrEqual(10);
        // …while still remembering more than the newest few.
        expect(Math.max(...sizes)).toBeGreaterThan(5);
      });

      it('forgets the least recently counted key first, so a key counted all along keeps its count', async () => {
        for (let i = 0; i < 50; i++)
          await store.consume([budget, { key: `phone:${i}`, limit: 5, windowMs: 86_400_000 }]);

        await expect(store.increment('budget', budget.windowMs)).resolves.toMatchObject({ count: 51 });
        await expect(store.increment('phone:49', 86_400_000)).resolves.toMatchObject({ count: 2 });
        await expect(store.increment('phone:0', 86_400_000)).resolves.toMatchObject({ count: 1 });
      });

      it('warns that limits are weakened the first time it forgets counters, and only then', async () => {
        for (let i = 0; i < 3; i++) await store.increment(`k:${i}`, 1000);
        expect(warn).not.toHaveBeenCalled();

        for (let i = 3; i < 10; i++) await store.increment(`k:${i}`, 1000);

        expect(warn).toHaveBeenCalledTimes(1);
        expect(warn.mock.calls[0][0]).toMatch(/RATE_LIMIT_MEMORY_MAX_KEYS/);
      });
    });
  });
});
