import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { sessionConfig } from '../config';
import { OtpService } from '../otp/otp.service';
import { SessionsService } from './sessions.service';

/**
 * Deletes sessions and codes that ended more than PURGE_RETENTION ago, every PURGE_INTERVAL.
 * Each pass is a pair of idempotent DELETEs, so several instances running it at once only
 * repeat each other's work; no lock is needed.
 */
@Injectable()
export class PurgeJob implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(PurgeJob.name);
  private timer?: NodeJS.Timeout;

  constructor(
    @Inject(sessionConfig.KEY) private readonly config: ConfigType<typeof sessionConfig>,
    private readonly sessions: SessionsService,
    private readonly otp: OtpService,
  ) {}

  onApplicationBootstrap(): void {
    if (this.config.purgeIntervalMs === 0) return;
    this.timer = setInterval(() => void this.run(), this.config.purgeIntervalMs);
    this.timer.unref();
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
  }

  async run(now = new Date()): Promise<void> {
    const before = new Date(now.getTime() - this.config.purgeRetentionMs);
    try {
      const [sessions, codes] = await Promise.all([this.sessions.purge(before), this.otp.purge(before)]);
      if (sessions || codes) this.logger.log(`Purged ${sessions} ended sessions and ${codes} spent codes`);
    } catch (error) {
      this.logger.error('Purge failed; the next pass will retry', error instanceof Error ? error.stack : String(error));
    }
  }
}
