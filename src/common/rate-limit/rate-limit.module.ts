import { Global, Inject, Logger, Module, Optional, type OnApplicationShutdown } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import Redis from 'ioredis';
import { throttleConfig } from '../../config';
import { MemoryRateLimitStore } from './memory-rate-limit.store';
import { RateLimitStore } from './rate-limit.store';
import { RedisRateLimitStore } from './redis-rate-limit.store';

/** The Redis connection behind the counters, when REDIS_URL is set; health checks ping it. */
export const REDIS = Symbol('Redis');

function connect(url: string): Redis {
  const redis = new Redis(url, {
    // Fail fast instead of queueing while disconnected: a limit check that waits is an outage too.
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectTimeout: 2_000,
    commandTimeout: 1_000,
  });
  // Without a listener ioredis prints a stack trace on every reconnection attempt; one line per
  // distinct failure is enough, and recovery is logged too.
  const logger = new Logger('Redis');
  let lastError = '';
  redis.on('error', (error: Error) => {
    if (error.message !== lastError) logger.warn(`Redis unavailable: ${error.message}`);
    lastError = error.message;
  });
  redis.on('ready', () => {
    if (lastError) logger.log('Redis reachable again');
    lastError = '';
  });
  return redis;
}

/** Provides the counters every limit shares: the throttler's per-IP ones and the OTP limits. */
@Global()
@Module({
  providers: [
    {
      provide: REDIS,
      inject: [throttleConfig.KEY],
      useFactory: ({ redisUrl }: ConfigType<typeof throttleConfig>) => (redisUrl ? connect(redisUrl) : null),
    },
    {
      provide: RateLimitStore,
      inject: [REDIS, throttleConfig.KEY],
      useFactory: (redis: Redis | null, config: ConfigType<typeof throttleConfig>): RateLimitStore =>
        redis
          ? new RedisRateLimitStore(redis, `${config.redisKeyPrefix}rate:`)
          : new MemoryRateLimitStore(Date.now, config.memoryMaxKeys),
    },
  ],
  exports: [RateLimitStore, REDIS],
})
export class RateLimitModule implements OnApplicationShutdown {
  constructor(@Optional() @Inject(REDIS) private readonly redis: Redis | null) {}

  async onApplicationShutdown(): Promise<void> {
    await this.redis?.quit().catch(() => this.redis?.disconnect());
  }
}
