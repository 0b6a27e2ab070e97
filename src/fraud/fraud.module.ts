import { Module } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import type Redis from 'ioredis';
import { CaptchaModule } from '../captcha/captcha.module';
import { fraudConfig, redisConfig, throttleConfig } from '../config';
import { REDIS } from '../redis/redis.module';
import { ConversionStore } from './conversion.store';
import { MemoryConversionStore } from './memory-conversion.store';
import { PausedRanges } from './paused-ranges';
import { PumpingBreaker } from './pumping-breaker.service';
import { RedisConversionStore } from './redis-conversion.store';
import { SendScreening } from './send-screening.service';

@Module({
  imports: [CaptchaModule],
  providers: [
    {
      provide: ConversionStore,
      inject: [REDIS, redisConfig.KEY, throttleConfig.KEY, fraudConfig.KEY],
      useFactory: (
        redis: Redis | null,
        { keyPrefix }: ConfigType<typeof redisConfig>,
        { memoryMaxKeys }: ConfigType<typeof throttleConfig>,
        rules: ConfigType<typeof fraudConfig>,
      ): ConversionStore =>
        redis
          ? new RedisConversionStore(redis, `${keyPrefix}fraud:`, rules)
          : new MemoryConversionStore(rules, memoryMaxKeys),
    },
    PausedRanges,
    PumpingBreaker,
    SendScreening,
  ],
  exports: [SendScreening],
})
export class FraudModule {}
