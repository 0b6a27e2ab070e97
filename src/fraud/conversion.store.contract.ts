import type { BreakerScope, ConversionRules, ConversionStore, SendVerdict } from './conversion.store';

/** The scopes a send tripped; none for a send the gate refused. */
export const trippedBy = (verdict: SendVerdict): string[] => (verdict.admitted ? verdict.tripped : []);

/** A store under test, built by the harness on the contract's rules. */
export interface ConversionStoreHarness {
  store: ConversionStore;
  /** Another store on the same counts, as another instance of the service would have. */
  sharing(): ConversionStore | Promise<ConversionStore>;
  /** Frees what the harness holds: connections, keys. */
  close(): void | Promise<void>;
}

/** The rules every store is built with here: a minute's window, 20 % conversion, 30 s trips. */
export const CONTRACT_RULES: ConversionRules = { windowMs: 60_000, minConversion: 0.2, cooldownMs: 30_000 };

/** The start of a fixed window: times are the caller's, so every store sees the same windows. */
const T0 = 1_783_512_000_000;
const WINDOW = CONTRACT_RULES.windowMs;
const COOLDOWN = CONTRACT_RULES.cooldownMs;

/**
 * What every {@link ConversionStore} does, run against each implementation by its own spec:
 * `describeConversionStoreContract('MemoryConversionStore', (rules) => harness)`, a fresh harness
 * per test. Time is only ever the `now` each call is given.
 */
export function describeConversionStoreContract(
  name: string,
  makeHarness: (rules: ConversionRules) => ConversionStoreHarness | Promise<ConversionStoreHarness>,
): void {
  describe(`${name}: the ConversionStore contract`, () => {
    const prefix: BreakerScope = { key: 'prefix:+1201555', minSends: 10 };
    const country: BreakerScope = { key: 'country:US', minSends: 25 };

    let harness: ConversionStoreHarness;
    let store: ConversionStore;

    beforeEach(async () => {
      harness = await makeHarness(CONTRACT_RULES);
      store = harness.store;
    });

    afterEach(async () => {
      await harness?.close();
    });

    /** Records `count` sends, one ms apart from `from`, and returns every key they tripped. */
    async function send(scopes: BreakerScope[], count: number, from: number, on = store): Promise<string[]> {
      const tripped: string[] = [];
      for (let i = 0; i < count; i++) tripped.push(...trippedBy(await on.recordSend(scopes, from + i)));
      return tripped;
    }

    /** Records `count` sends at one instant, where the sliding window's weight must be exact. */
    async function sendAt(scope: BreakerScope, count: number, now: number): Promise<string[]> {
      const tripped: string[] = [];
      for (let i = 0; i < count; i++) tripped.push(...trippedBy(await store.recordSend([scope], now)));
      return tripped;
    }

    async function verify(keys: string[], count: number, at: number): Promise<void> {
      for (let i = 0; i < count; i++) await store.recordVerified(keys, at);
    }

    it('has no scope tripped at first', async () => {
      await expect(store.trippedFor([prefix.key, country.key], T0)).resolves.toBe(0);
    });

    it('answers 0 for an empty key list', async () => {
      await expect(store.trippedFor([], T0)).resolves.toBe(0);
      await expect(store.recordSend([], T0).then(trippedBy)).resolves.toEqual([]);
      await expect(store.recordVerified([], T0)).resolves.toBeUndefined();
    });

    it('trips a scope exactly on the send that reaches its minSends with nothing verified', async () => {
      await expect(send([prefix], prefix.minSends - 1, T0)).resolves.toEqual([]);
      await expect(store.trippedFor([prefix.key], T0 + 9)).resolves.toBe(0);

      await expect(store.recordSend([prefix], T0 + 9).then(trippedBy)).resolves.toEqual([prefix.key]);
    });

    it('reports the cooldown left after a trip, counting down with now, and 0 once it has passed', async () => {
      await send([prefix], prefix.minSends, T0);
      const trippedAt = T0 + prefix.minSends - 1;

      await expect(store.trippedFor([prefix.key], trippedAt)).resolves.toBe(COOLDOWN);
      await expect(store.trippedFor([prefix.key], trippedAt + 10_000)).resolves.toBe(COOLDOWN - 10_000);
      await expect(store.trippedFor([prefix.key], trippedAt + COOLDOWN - 1)).resolves.toBe(1);
      await expect(store.trippedFor([prefix.key], trippedAt + COOLDOWN)).resolves.toBe(0);
    });

    it('reports the longest trip among the keys asked about, ignoring keys never tripped', async () => {
      const other: BreakerScope = { key: 'prefix:+1202555', minSends: 10 };
      await send([prefix], 10, T0);
      await send([other], 10, T0 + 5_000);

      // The other prefix tripped last, at T0 + 5_009: 25_009 ms of its cooldown are left.
      await expect(store.trippedFor([prefix.key, other.key, country.key], T0 + 10_000)).resolves.toBe(25_009);
      await expect(store.trippedFor([country.key], T0 + 10_000)).resolves.toBe(0);
    });

    it('does not trip a scope whose verified codes reach the minimum conversion (3 of 10 at 20 %)', async () => {
      await send([prefix], 9, T0);
      await verify([prefix.key], 3, T0 + 100);

      await expect(store.recordSend([prefix], T0 + 200).then(trippedBy)).resolves.toEqual([]);
      await expect(store.trippedFor([prefix.key], T0 + 200)).resolves.toBe(0);
    });

    it('does not trip at exactly the minimum conversion (2 of 10): only below it', async () => {
      await send([prefix], 9, T0);
      await verify([prefix.key], 2, T0 + 100);

      await expect(store.recordSend([prefix], T0 + 200).then(trippedBy)).resolves.toEqual([]);
    });

    it('trips a scope whose conversion is below the minimum (1 of 10)', async () => {
      await send([prefix], 9, T0);
      await verify([prefix.key], 1, T0 + 100);

      await expect(store.recordSend([prefix], T0 + 200).then(trippedBy)).resolves.toEqual([prefix.key]);
    });

    it('counts verifications under their own key only', async () => {
      const other: BreakerScope = { key: 'prefix:+1202555', minSends: 10 };
      await verify([other.key], 5, T0);

      await expect(send([prefix], 10, T0 + 100)).resolves.toEqual([prefix.key]);
    });

    it('refuses a send to a tripped scope uncounted, with the cooldown left, even with untripped scopes beside it', async () => {
      await send([prefix], 10, T0);
      const trippedAt = T0 + 9;

      await expect(store.recordSend([country, prefix], trippedAt + 100)).resolves.toEqual({
        admitted: false,
        retryAfterMs: COOLDOWN - 100,
      });
      await expect(send([country], country.minSends - 1, trippedAt + 101)).resolves.toEqual([]);
    });

    it('counts no sends while a scope is tripped, and judges it from zero once the cooldown has passed', async () => {
      await send([prefix], 10, T0);
      const trippedAt = T0 + 9;

      // Sends during the trip neither extend it nor count towards the next one.
      await expect(send([prefix], 50, trippedAt + 1)).resolves.toEqual([]);
      await expect(store.trippedFor([prefix.key], trippedAt + 100)).resolves.toBe(COOLDOWN - 100);

      const after = trippedAt + COOLDOWN;
      await expect(send([prefix], prefix.minSends - 1, after)).resolves.toEqual([]);
      await expect(store.recordSend([prefix], after + 9).then(trippedBy)).resolves.toEqual([prefix.key]);
    });

    it('counts no verifications while a scope is tripped: they buy no unverified sends after the cooldown', async () => {
      await send([prefix], 10, T0);
      const trippedAt = T0 + 9;
      for (let i = 0; i < 20; i++) await store.recordVerified([prefix.key], trippedAt + 1 + i);

      const after = trippedAt + COOLDOWN;
      await expect(send([prefix], prefix.minSends - 1, after)).resolves.toEqual([]);
      await expect(store.recordSend([prefix], after + 9).then(trippedBy)).resolves.toEqual([prefix.key]);
    });

    it('judges each scope of one call by its own minSends, returning only the one that reaches it', async () => {
      await expect(send([country, prefix], prefix.minSends, T0)).resolves.toEqual([prefix.key]);
      await expect(store.trippedFor([country.key], T0 + 10)).resolves.toBe(0);

      // Sends to the tripped prefix are refused; the country goes on counting those to its other prefixes.
      const other: BreakerScope = { key: 'prefix:+1202555', minSends: prefix.minSends * 10 };
      await expect(send([country, other], country.minSends - prefix.minSends - 1, T0 + 10)).resolves.toEqual([]);
      await expect(store.recordSend([country, other], T0 + 100).then(trippedBy)).resolves.toEqual([country.key]);
    });

    describe('the sliding window', () => {
      /** 8 sends in the last second of window 0: under minSends 10, so nothing trips there. */
      const lateInWindowZero = async () => {
        await expect(sendAt(prefix, 8, T0 + WINDOW - 1_000)).resolves.toEqual([]);
      };

      it('weighs the previous window by the overlap left: at 50 % into window 1, 8 old sends count as 4', async () => {
        await lateInWindowZero();
        const halfway = T0 + WINDOW + WINDOW / 2;

        // 4 + 5 = 9 (counted in full, 8 + 2 would already have tripped; dropped, 10 more would be needed).
        await expect(sendAt(prefix, 5, halfway)).resolves.toEqual([]);
        await expect(store.recordSend([prefix], halfway).then(trippedBy)).resolves.toEqual([prefix.key]);
      });

      it('weighs them less as the window slides on: at 75 % into window 1, 8 old sends count as 2', async () => {
        await lateInWindowZero();
        const threeQuarters = T0 + WINDOW + (WINDOW * 3) / 4;

        await expect(sendAt(prefix, 7, threeQuarters)).resolves.toEqual([]);
        await expect(store.recordSend([prefix], threeQuarters).then(trippedBy)).resolves.toEqual([prefix.key]);
      });

      it('weighs previous verifications the same way as previous sends', async () => {
        // Window 0: 8 sends, 4 verified. At 50 % into window 1: 4 sends and 2 verified carried over.
        await sendAt(prefix, 8, T0 + WINDOW - 1_000);
        await verify([prefix.key], 4, T0 + WINDOW - 500);
        const halfway = T0 + WINDOW + WINDOW / 2;

        // 4 + 6 = 10 sends, 2 verified: 20 %, not below it. One more: 11 sends, 2 < 2.2 → trips.
        await expect(sendAt(prefix, 6, halfway)).resolves.toEqual([]);
        await expect(store.recordSend([prefix], halfway).then(trippedBy)).resolves.toEqual([prefix.key]);
      });

      it('forgets counts two windows old', async () => {
        await lateInWindowZero();
        const windowTwo = T0 + 2 * WINDOW;

        await expect(sendAt(prefix, prefix.minSends - 1, windowTwo)).resolves.toEqual([]);
        await expect(store.recordSend([prefix], windowTwo).then(trippedBy)).resolves.toEqual([prefix.key]);
      });
    });

    describe('shared by several instances', () => {
      it('counts sends from every instance and trips on whichever reaches the threshold', async () => {
        const other = await harness.sharing();
        await send([prefix], 5, T0, store);
        await send([prefix], 4, T0 + 5, other);

        await expect(other.recordSend([prefix], T0 + 9).then(trippedBy)).resolves.toEqual([prefix.key]);
        await expect(store.trippedFor([prefix.key], T0 + 10)).resolves.toBe(COOLDOWN - 1);
        await expect(other.trippedFor([prefix.key], T0 + 10)).resolves.toBe(COOLDOWN - 1);
      });

      it('counts verifications recorded on another instance', async () => {
        const other = await harness.sharing();
        await send([prefix], 9, T0);
        for (let i = 0; i < 2; i++) await other.recordVerified([prefix.key], T0 + 100);

        await expect(store.recordSend([prefix], T0 + 200).then(trippedBy)).resolves.toEqual([]);
      });

      it('trips a scope exactly once under parallel sends from two instances', async () => {
        const stores = [store, await harness.sharing()];

        const results = await Promise.all(
          Array.from({ length: prefix.minSends * 2 }, (_, i) => stores[i % 2].recordSend([prefix], T0 + 100)),
        );

        expect(results.flatMap(trippedBy)).toEqual([prefix.key]);
        await expect(store.trippedFor([prefix.key], T0 + 100)).resolves.toBe(COOLDOWN);
      });

      it('admits exactly minSends of parallel sends from two instances, the one that trips included', async () => {
        const stores = [store, await harness.sharing()];

        const results = await Promise.all(
          Array.from({ length: prefix.minSends * 2 }, (_, i) => stores[i % 2].recordSend([prefix], T0 + 100)),
        );

        expect(results.filter((verdict) => verdict.admitted)).toHaveLength(prefix.minSends);
        expect(results.filter((verdict) => !verdict.admitted)).toEqual(
          Array(prefix.minSends).fill({ admitted: false, retryAfterMs: COOLDOWN }),
        );
      });
    });
  });
}
