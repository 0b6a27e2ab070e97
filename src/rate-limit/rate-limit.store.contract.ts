import type { LimitRule, LimitVerdict, RateLimitStore, WindowCount } from './rate-limit.store';

/** A store under test and the means to move its time. */
export interface RateLimitStoreHarness {
  store: RateLimitStore;
  /** Another store on the same counters, as another instance of the service would have. */
  sharing(): RateLimitStore | Promise<RateLimitStore>;
  /** Lets `ms` of the store's time pass. */
  advance(ms: number): void | Promise<void>;
  /**
   * How much more time than `advance` may pass between two calls: 0 for a store on a fake clock;
   * for one on a real clock, a bound on the time the calls themselves take.
   */
  slackMs: number;
  /** Frees what the harness holds: connections, keys. */
  close(): void | Promise<void>;
}

/**
 * What every {@link RateLimitStore} does, run against each implementation by its own spec:
 * `describeRateLimitStoreContract('MemoryRateLimitStore', () => harness)`, a fresh harness per test.
 */
export function describeRateLimitStoreContract(
  name: string,
  makeHarness: () => RateLimitStoreHarness | Promise<RateLimitStoreHarness>,
): void {
  describe(`${name}: the RateLimitStore contract`, () => {
    let harness: RateLimitStoreHarness;
    let store: RateLimitStore;

    beforeEach(async () => {
      harness = await makeHarness();
      store = harness.store;
    });

    afterEach(async () => {
      await harness?.close();
    });

    const advance = async (ms: number) => {
      await harness.advance(ms);
    };

    /** `actual` ms is `expected`, less at most the time the calls themselves took. */
    function expectMs(actual: number, expected: number): void {
      expect(actual).toBeLessThanOrEqual(expected);
      expect(actual).toBeGreaterThanOrEqual(expected - harness.slackMs);
    }

    function expectWindow(window: WindowCount, count: number, resetInMs: number): void {
      expect(window.count).toBe(count);
      expectMs(window.resetInMs, resetInMs);
    }

    function expectRefused(verdict: LimitVerdict, rule: LimitRule, retryAfterMs: number): void {
      expect(verdict).toMatchObject({ allowed: false, rule });
      expect(Object.keys(verdict).sort()).toEqual(['allowed', 'retryAfterMs', 'rule']);
      if (!verdict.allowed) expectMs(verdict.retryAfterMs, retryAfterMs);
    }

    /** The hits counted under `rule.key` so far (the count this adds is not reported). */
    const counted = async (rule: LimitRule) => (await store.increment(rule.key, rule.windowMs)).count - 1;

    describe('increment', () => {
      it('counts hits in a fixed window that starts at the first hit and reports when it ends', async () => {
        expectWindow(await store.increment('k', 10_000), 1, 10_000);
        await advance(4_000);
        expectWindow(await store.increment('k', 10_000), 2, 6_000);
        // To the last millisecond of the window (on a real clock, as near it as the calls allow).
        await advance(6_000 - harness.slackMs - 1);

        expectWindow(await store.increment('k', 10_000), 3, harness.slackMs + 1);
      });

      it('starts a new window from zero once the old one has ended, rather than sliding', async () => {
        await store.increment('k', 1000);
        await store.increment('k', 1000);
        await advance(1000);

        expectWindow(await store.increment('k', 1000), 1, 1000);
      });

      it('keeps separate keys separate', async () => {
        await store.increment('a', 1000);
        await store.increment('a', 1000);

        expectWindow(await store.increment('b', 1000), 1, 1000);
      });
    });

    describe('consume', () => {
      const hour: LimitRule = { key: 'phone:hour', limit: 2, windowMs: 3_600_000 };
      const day: LimitRule = { key: 'phone:day', limit: 5, windowMs: 86_400_000 };

      it('allows up to the limit, then refuses naming the full rule and when its window ends', async () => {
        await expect(store.consume([hour])).resolves.toEqual({ allowed: true });
        await advance(1000);
        await expect(store.consume([hour])).resolves.toEqual({ allowed: true });
        await advance(1000);

        expectRefused(await store.consume([hour]), hour, 3_598_000);
      });

      it('counts one hit against every rule when all have room', async () => {
        await store.consume([hour, day]);

        await expect(counted(hour)).resolves.toBe(1);
        await expect(counted(day)).resolves.toBe(1);
      });

      it('counts nothing against any rule when one is full: all or nothing', async () => {
        const cooldown: LimitRule = { key: 'phone:cooldown', limit: 1, windowMs: 60_000 };
        await store.consume([cooldown, hour, day]);

        for (let i = 0; i < 5; i++) {
          await expect(store.consume([cooldown, hour, day])).resolves.toMatchObject({ allowed: false, rule: cooldown });
        }

        await expect(counted(hour)).resolves.toBe(1);
        await expect(counted(day)).resolves.toBe(1);
      });

      it('names the first full rule in the order given', async () => {
        const a: LimitRule = { key: 'a', limit: 1, windowMs: 10_000 };
        const b: LimitRule = { key: 'b', limit: 1, windowMs: 20_000 };
        await store.consume([a, b]);

        expectRefused(await store.consume([b, a]), b, 20_000);
        expectRefused(await store.consume([a, b]), a, 10_000);
      });

      it('lets exactly `limit` of 50 parallel callers on 5 stores through and counts each rule once per admitted call', async () => {
        const tight: LimitRule = { key: 'phone:hour', limit: 7, windowMs: 60_000 };
        const loose: LimitRule = { key: 'budget', limit: 30, windowMs: 60_000 };
        const stores = await Promise.all(Array.from({ length: 5 }, async () => harness.sharing()));

        const verdicts = await Promise.all(Array.from({ length: 50 }, (_, i) => stores[i % 5].consume([tight, loose])));

        expect(verdicts.filter((v) => v.allowed)).toHaveLength(7);
        for (const verdict of verdicts.filter((v) => !v.allowed)) expectRefused(verdict, tight, 60_000);
        // All or nothing: the 43 refused calls counted against neither rule.
        await expect(counted(tight)).resolves.toBe(7);
        await expect(counted(loose)).resolves.toBe(7);
      });

      it('names the rule that is full when it is not the first, and counts nothing against the others, in parallel too', async () => {
        const cooldown: LimitRule = { key: 'cooldown', limit: 50, windowMs: 60_000 };
        const budget: LimitRule = { key: 'budget', limit: 3, windowMs: 60_000 };
        const stores = await Promise.all(Array.from({ length: 5 }, async () => harness.sharing()));

        const verdicts = await Promise.all(
          Array.from({ length: 50 }, (_, i) => stores[i % 5].consume([cooldown, budget])),
        );

        expect(verdicts.filter((v) => v.allowed)).toHaveLength(3);
        expect(verdicts.filter((v) => !v.allowed && v.rule === budget)).toHaveLength(47);
        await expect(counted(cooldown)).resolves.toBe(3);
        await expect(counted(budget)).resolves.toBe(3);
      });

      it('allows again once the full rule’s window has ended', async () => {
        await store.consume([hour]);
        await store.consume([hour]);
        await advance(hour.windowMs - harness.slackMs - 1);
        expectRefused(await store.consume([hour]), hour, harness.slackMs + 1);
        await advance(harness.slackMs + 1);

        await expect(store.consume([hour])).resolves.toEqual({ allowed: true });
      });

      it('allows an empty rule list', async () => {
        await expect(store.consume([])).resolves.toEqual({ allowed: true });
      });
    });

    describe('check', () => {
      const rule: LimitRule = { key: 'k', limit: 2, windowMs: 60_000 };

      it('counts nothing, however often it is asked, even in parallel', async () => {
        const verdicts = await Promise.all(Array.from({ length: 50 }, () => store.check([rule])));

        expect(verdicts).toEqual(Array.from({ length: 50 }, () => ({ allowed: true })));
        await expect(counted(rule)).resolves.toBe(0);
      });

      it('answers like consume once a rule is full, with the time left in its window, still counting nothing', async () => {
        await store.consume([rule]);
        await store.consume([rule]);

        for (let i = 0; i < 3; i++) expectRefused(await store.check([rule]), rule, 60_000);
        await expect(counted(rule)).resolves.toBe(2);
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
        await advance(900);
        await store.reset(['k']);

        expectWindow(await store.increment('k', 1000), 1, 1000);
      });

      it('does nothing for an empty list', async () => {
        await expect(store.reset([])).resolves.toBeUndefined();
      });
    });
  });
}
