import { Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import type { purgeConfig } from '../config';

/**
 * Deletes one table's rows that ended more than PURGE_RETENTION ago, every PURGE_INTERVAL; each
 * feature module that keeps such rows runs one for its own table. A pass is one idempotent
 * DELETE, so several instances running it at once only repeat each other's work: no lock needed.
 */
export abstract class PurgeJob implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(this.constructor.name);
  private timer?: NodeJS.Timeout;

  /** What the rows are, for the log line: "ended sessions", "spent codes". */
  protected abstract readonly rows: string;

  protected constructor(private readonly config: ConfigType<typeof purgeConfig>) {}

  /** Deletes the rows that ended before `before` and says how many. */
  protected abstract purge(before: Date): Promise<number>;

  onApplicationBootstrap(): void {
    if (this.config.intervalMs === 0) return;
    this.timer = setInterval(() => void this.run(), this.config.intervalMs);
    this.timer.unref();
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
  }

  async run(now = new Date()): Promise<void> {
    try {
      const purged = await this.purge(new Date(now.getTime() - this.config.retentionMs));
      if (purged) this.logger.log(`Purged ${purged} ${this.rows}`);
    } catch (error) {
      this.logger.error('Purge failed; the next pass will retry', error instanceof Error ? error.stack : String(error));
    }
  }
}
