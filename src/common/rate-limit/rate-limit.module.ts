import { Global, Module } from '@nestjs/common';
import { MemoryRateLimitStore } from './memory-rate-limit.store';
import { RateLimitStore } from './rate-limit.store';

/** Provides the counters every limit shares: the throttler's per-IP ones and the OTP limits. */
@Global()
@Module({
  providers: [{ provide: RateLimitStore, useFactory: (): RateLimitStore => new MemoryRateLimitStore() }],
  exports: [RateLimitStore],
})
export class RateLimitModule {}
