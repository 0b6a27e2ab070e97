import { Global, Module } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { ThrottlerModule } from '@nestjs/throttler';
import type Redis from 'ioredis';
import { redisConfig, throttleConfig } from '../config';
import { REDIS } from '../redis/redis.module';
import { EarlyRefusalHook } from './early-refusal.hook';
import { MemoryRateLimitStore } from './memory-rate-limit.store';
import { unlessRouteUses } from './problem-throttler.guard';
import { RateLimitStore } from './rate-limit.store';
import { RedisRateLimitStore } from './redis-rate-limit.store';
import { RefusedClients } from './refused-clients';
import { ThrottlerStorageAdapter } from './throttler-storage.adapter';

/**
 * The counters every limit shares, in Redis when REDIS_URL is set and in memory otherwise: the
 * throttler's per-IP ones and the OTP limits. AppModule installs the guard.
 */
@Global()
@Module({
  imports: [
    ThrottlerModule.forRootAsync({
      inject: [throttleConfig.KEY, RateLimitStore],
      useFactory: (config: ConfigType<typeof throttleConfig>, store: RateLimitStore) => ({
        storage: new ThrottlerStorageAdapter(store),
        // Keyed on the client alone (the default key adds the route), so THROTTLE_LIMIT spans the API.
        generateKey: (_context, tracker) => tracker,
        throttlers: [
          { name: 'default', limit: config.limit, ttl: config.ttlMs },
          {
            name: 'otp-send',
            limit: config.otpIpSendLimit,
            ttl: config.otpIpSendWindowMs,
            skipIf: unlessRouteUses('otp-send'),
          },
          {
            name: 'otp-verify',
            limit: config.otpIpVerifyLimit,
            ttl: config.otpIpVerifyWindowMs,
            skipIf: unlessRouteUses('otp-verify'),
          },
        ],
      }),
    }),
  ],
  providers: [
    {
      provide: RateLimitStore,
      inject: [REDIS, redisConfig.KEY, throttleConfig.KEY],
      useFactory: (
        redis: Redis | null,
        { keyPrefix }: ConfigType<typeof redisConfig>,
        { memoryMaxKeys }: ConfigType<typeof throttleConfig>,
      ): RateLimitStore =>
        redis ? new RedisRateLimitStore(redis, `${keyPrefix}rate:`) : new MemoryRateLimitStore(Date.now, memoryMaxKeys),
    },
    RefusedClients,
    EarlyRefusalHook,
  ],
  exports: [RateLimitStore, RefusedClients],
})
export class RateLimitModule {}
