import { Global, Inject, Logger, Module, Optional, type OnApplicationShutdown } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import type Redis from 'ioredis';
import { redisConfig } from '../config';

/** The one Redis connection, or null when REDIS_URL is unset; rate limiting and health use it. */
export const REDIS = Symbol('Redis');

function connect(url: string): Redis {
  // Loaded on demand: a process without REDIS_URL never needs ioredis (docs/benchmarks.md, "Boot").
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { default: IORedis } = require('ioredis') as typeof import('ioredis');
  const redis = new IORedis(url, {
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

@Global()
@Module({
  providers: [
    {
      provide: REDIS,
      inject: [redisConfig.KEY],
      useFactory: ({ url }: ConfigType<typeof redisConfig>) => (url ? connect(url) : null),
    },
  ],
  exports: [REDIS],
})
export class RedisModule implements OnApplicationShutdown {
  constructor(@Optional() @Inject(REDIS) private readonly redis: Redis | null) {}

  async onApplicationShutdown(): Promise<void> {
    await this.redis?.quit().catch(() => this.redis?.disconnect());
  }
}
