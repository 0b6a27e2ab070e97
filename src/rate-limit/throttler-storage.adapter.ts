import type { ThrottlerStorage } from '@nestjs/throttler';
import type { RateLimitStore } from './rate-limit.store';

// The record type is not exported by @nestjs/throttler.
type ThrottlerStorageRecord = Awaited<ReturnType<ThrottlerStorage['increment']>>;

/**
 * Lets @nestjs/throttler keep its per-IP counters in the same store as the per-phone and global
 * limits. A tripped key stays blocked until its window ends.
 */
export class ThrottlerStorageAdapter implements ThrottlerStorage {
  constructor(private readonly store: RateLimitStore) {}

  async increment(
    key: string,
    ttl: number,
    limit: number,
    _blockDuration: number,
    throttler: string,
  ): Promise<ThrottlerStorageRecord> {
    const counted = this.store.increment(`throttle:${throttler}:${key}`, ttl, limit);
    // The API-wide limit fails open when the store is down, so signed-in users keep working;
    // the OTP routes' own limits fail closed (503) because they guard SMS spend and guessing.
    const { count, resetInMs } = await (throttler === 'default'
      ? counted.catch(() => ({ count: 0, resetInMs: ttl }))
      : counted);
    const seconds = Math.max(1, Math.ceil(resetInMs / 1000));
    const isBlocked = count > limit;
    return { totalHits: count, timeToExpire: seconds, isBlocked, timeToBlockExpire: isBlocked ? seconds : 0 };
  }
}
