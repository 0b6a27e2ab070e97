import { Logger } from '@nestjs/common';
import { MemoryRateLimitStore } from './memory-rate-limit.store';
import { describeRateLimitStoreContract } from './rate-limit.store.contract';
import type { LimitRule } from './rate-limit.store';

const T0 = 1_783_512_000_000;

describeRateLimitStoreContract('MemoryRateLimitStore', () => {
  let now = T0;
  const store = new MemoryRateLimitStore(() => now);
  return {
    store,
    // One process holds one set of counters: "another instance" is the same store.
    sharing: () => store,
    advance: (ms) => {
      now += ms;
    },
    slackMs: 0,
    close: () => undefined,
  };
});

describe('MemoryRateLimitStore', () => {
  let now: number;
  let store: MemoryRateLimitStore;

  beforeEach(() => {
    now = T0;
    store = new MemoryRateLimitStore(() => now);
  });

  /** The store keeps no timers, so its maps are the only place a leak could show. */
  describe('memory', () => {
    it('drops an expired window when its key is next read', async () => {
      await store.increment('k', 1000);
      now += 1000;

      await store.check([{ key: 'k', limit: 1, windowMs: 1000 }]);

      expect(store.size).toBe(0);
    });

    it('sweeps expired windows of keys never touched again, every 10,000 writes', async () => {
      for (let i = 0; i < 100; i++) await store.increment(`stale:${i}`, 1000);
      now += 1000;
      for (let i = 100; i < 9_999; i++) await store.increment('live', 60_000);
      expect(store.size).toBe(101);

      await store.increment('live', 60_000);

      expect(store.size).toBe(1);
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
          sizes.push(store.size);
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

      it('never forgets a key at its limit while its window lasts: a flood of other keys unlocks nobody', async () => {
        store = new MemoryRateLimitStore(() => now, 10);
        const lock: LimitRule = { key: 'cooldown:victim', limit: 1, windowMs: 60_000 };
        await store.consume([lock]);
        await store.increment('fail:victim:client', 3_600_000, 2);
        await store.increment('fail:victim:client', 3_600_000, 2);

        for (let i = 0; i < 340; i++) await store.consume([{ key: `phone:${i}`, limit: 5, windowMs: 86_400_000 }]);

        await expect(store.check([lock])).resolves.toMatchObject({ allowed: false, rule: lock });
        await expect(
          store.check([{ key: 'fail:victim:client', limit: 2, windowMs: 3_600_000 }]),
        ).resolves.toMatchObject({ allowed: false });
        now += 60_000;
        await expect(store.check([lock])).resolves.toEqual({ allowed: true });
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
