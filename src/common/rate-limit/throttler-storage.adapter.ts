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
    const { count, resetInMs } = await this.store.increment(`throttle:${throttler}:${key}`, ttl);
    const seconds = Math.max(1, Math.ceil(resetInMs / 1000));
    const isBlocked = count > limit;
    return { totalHits: count, timeToExpire: seconds, isBlocked, timeToBlockExpire: isBlocked ? seconds : 0 };
  }
}
