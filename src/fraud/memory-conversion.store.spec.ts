import { CONTRACT_RULES, describeConversionStoreContract, trippedBy } from './conversion.store.contract';
import type { BreakerScope } from './conversion.store';
import { MemoryConversionStore } from './memory-conversion.store';

describeConversionStoreContract('MemoryConversionStore', (rules) => {
  const store = new MemoryConversionStore(rules);
  // One process holds one set of counts: "another instance" is the same store.
  return { store, sharing: () => store, close: () => undefined };
});

describe('MemoryConversionStore', () => {
  const T0 = 1_783_512_000_000;
  const WINDOW = CONTRACT_RULES.windowMs;
  const scope = (key: string): BreakerScope => ({ key, minSends: 5 });

  /** The store keeps no timers, so its map of windows is the only place a leak could show. */
  const scopesHeld = (store: MemoryConversionStore) =>
    (store as unknown as { windows: Map<string, unknown> }).windows.size;

  async function send(store: MemoryConversionStore, key: string, count: number, now: number): Promise<string[]> {
    const tripped: string[] = [];
    for (let i = 0; i < count; i++) tripped.push(...trippedBy(await store.recordSend([scope(key)], now)));
    return tripped;
  }

  describe('with a cap on the number of scopes', () => {
    it('never holds more scopes than maxKeys, however many are counted', async () => {
      const store = new MemoryConversionStore(CONTRACT_RULES, 10);
      const sizes: number[] = [];
      for (let i = 0; i < 50; i++) {
        await store.recordSend([scope(`prefix:+1201${i}`)], T0 + i);
        await store.recordVerified([`prefix:+1301${i}`], T0 + i);
        sizes.push(scopesHeld(store));
      }

      expect(Math.max(...sizes)).toBe(10);
      // …while still remembering more than the newest few.
      expect(Math.min(...sizes.slice(10))).toBeGreaterThanOrEqual(5);
    });

    it('drops scopes with nothing left in the sliding window first, keeping the live ones whole', async () => {
      const store = new MemoryConversionStore(CONTRACT_RULES, 4);
      for (const key of ['stale:a', 'stale:b', 'stale:c']) await send(store, key, 1, T0);
      // Window 1: 4 sends, one short of minSends.
      await send(store, 'live', 4, T0 + 2 * WINDOW - 1);

      await send(store, 'new', 1, T0 + 2 * WINDOW);

      expect(scopesHeld(store)).toBe(2);
      // At the start of window 2 the 4 sends of window 1 count in full: one more trips.
      await expect(send(store, 'live', 1, T0 + 2 * WINDOW)).resolves.toEqual(['live']);
    });

    it('forgets the oldest half when every scope is live, and a forgotten scope forgets its counts', async () => {
      const store = new MemoryConversionStore(CONTRACT_RULES, 4);
      for (const key of ['a', 'b', 'c', 'd']) await send(store, key, 4, T0);

      await send(store, 'e', 1, T0 + 1);

      expect(scopesHeld(store)).toBe(3);
      await expect(send(store, 'a', 1, T0 + 2)).resolves.toEqual([]);
      await expect(send(store, 'd', 1, T0 + 2)).resolves.toEqual(['d']);
    });

    it('keeps a scope tripped however many other scopes are counted meanwhile', async () => {
      const store = new MemoryConversionStore(CONTRACT_RULES, 4);
      await send(store, 'pumped', 5, T0);

      for (let i = 0; i < 40; i++) await send(store, `other:${i}`, 1, T0 + 10);

      await expect(store.trippedFor(['pumped'], T0 + 10)).resolves.toBe(CONTRACT_RULES.cooldownMs - 10);
    });
  });
});
