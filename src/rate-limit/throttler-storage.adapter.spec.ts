import { MemoryRateLimitStore } from './memory-rate-limit.store';
import type { RateLimitStore } from './rate-limit.store';
import { ThrottlerStorageAdapter } from './throttler-storage.adapter';

const T0 = 1_783_512_000_000;

describe('ThrottlerStorageAdapter', () => {
  let now: number;
  let store: MemoryRateLimitStore;
  let adapter: ThrottlerStorageAdapter;

  beforeEach(() => {
    now = T0;
    store = new MemoryRateLimitStore(() => now);
    adapter = new ThrottlerStorageAdapter(store);
  });

  it('counts under a key namespaced by throttler, with the throttler’s window', async () => {
    const fake = { increment: jest.fn().mockResolvedValue({ count: 1, resetInMs: 60_000 }) };

    await new ThrottlerStorageAdapter(fake as unknown as RateLimitStore).increment('abc', 60_000, 5, 0, 'otp-send');

    expect(fake.increment).toHaveBeenCalledWith('throttle:otp-send:abc', 60_000, 5);
  });

  it('reports hits and seconds to expiry, unblocked up to the limit', async () => {
    await expect(adapter.increment('ip', 60_000, 2, 0, 'default')).resolves.toEqual({
      totalHits: 1,
      timeToExpire: 60,
      isBlocked: false,
      timeToBlockExpire: 0,
    });
    now += 30_500;
    await expect(adapter.increment('ip', 60_000, 2, 0, 'default')).resolves.toEqual({
      totalHits: 2,
      timeToExpire: 30,
      isBlocked: false,
      timeToBlockExpire: 0,
    });
  });

  it('blocks past the limit until the window ends, rounding the wait up to whole seconds', async () => {
    await adapter.increment('ip', 60_000, 1, 0, 'default');
    now += 10_001;

    await expect(adapter.increment('ip', 60_000, 1, 0, 'default')).resolves.toEqual({
      totalHits: 2,
      timeToExpire: 50,
      isBlocked: true,
      timeToBlockExpire: 50,
    });
  });

  it('never reports less than one second, so Retry-After is never 0', async () => {
    await adapter.increment('ip', 1000, 1, 0, 'default');
    now += 999;

    await expect(adapter.increment('ip', 1000, 1, 0, 'default')).resolves.toMatchObject({
      isBlocked: true,
      timeToExpire: 1,
      timeToBlockExpire: 1,
    });
  });

  it('unblocks when the window ends', async () => {
    await adapter.increment('ip', 60_000, 1, 0, 'default');
    await adapter.increment('ip', 60_000, 1, 0, 'default');
    now += 60_000;

    await expect(adapter.increment('ip', 60_000, 1, 0, 'default')).resolves.toMatchObject({
      totalHits: 1,
      isBlocked: false,
    });
  });

  it('keeps each throttler’s count for the same client apart, and apart from the OTP limits', async () => {
    await adapter.increment('ip', 60_000, 1, 0, 'default');
    await adapter.increment('ip', 60_000, 1, 0, 'default');

    await expect(adapter.increment('ip', 60_000, 1, 0, 'otp-send')).resolves.toMatchObject({
      totalHits: 1,
      isBlocked: false,
    });
    await expect(store.increment('ip', 60_000)).resolves.toMatchObject({ count: 1 });
  });
});
