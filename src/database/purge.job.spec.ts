import { Logger } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import type { purgeConfig } from '../config';
import { PurgeJob } from './purge.job';

const NOW = new Date('2026-07-08T12:00:00.000Z').getTime();
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/** A table of rows that each ended at an instant; purge() deletes those that ended before the cutoff. */
class EndedRowsJob extends PurgeJob {
  protected readonly rows = 'ended rows';
  readonly cutoffs: Date[] = [];

  constructor(
    config: Partial<ConfigType<typeof purgeConfig>>,
    public endedAt: number[],
  ) {
    super({ intervalMs: HOUR, retentionMs: 7 * DAY, ...config });
  }

  protected purge(before: Date): Promise<number> {
    this.cutoffs.push(before);
    const kept = this.endedAt.filter((ended) => ended >= before.getTime());
    const purged = this.endedAt.length - kept.length;
    this.endedAt = kept;
    return Promise.resolve(purged);
  }
}

describe('PurgeJob', () => {
  let logged: jest.SpyInstance;
  let loggedError: jest.SpyInstance;

  beforeEach(() => {
    logged = jest.spyOn(Logger.prototype, 'log').mockImplementation(() => undefined);
    loggedError = jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    jest.useFakeTimers({ doNotFake: ['nextTick', 'setImmediate', 'queueMicrotask'] });
    jest.setSystemTime(NOW);
  });

  afterEach(() => {
    jest.useRealTimers();
    jest.restoreAllMocks();
  });

  describe('run', () => {
    it('deletes what ended more than PURGE_RETENTION ago, keeps the rest and logs how many', async () => {
      const job = new EndedRowsJob({}, [NOW - 8 * DAY, NOW - 7 * DAY - 1, NOW - 6 * DAY, NOW + DAY]);

      await job.run();

      expect(job.cutoffs).toEqual([new Date(NOW - 7 * DAY)]);
      expect(job.endedAt).toEqual([NOW - 6 * DAY, NOW + DAY]);
      expect(logged).toHaveBeenCalledWith('Purged 2 ended rows');
      expect(loggedError).not.toHaveBeenCalled();
    });

    it('counts the retention from the instant it is given', async () => {
      const job = new EndedRowsJob({ retentionMs: 5 * DAY }, []);

      await job.run(new Date(NOW - 2 * DAY));

      expect(job.cutoffs).toEqual([new Date(NOW - 7 * DAY)]);
    });

    it('logs nothing when nothing was purged', async () => {
      const job = new EndedRowsJob({ retentionMs: 30 * DAY }, [NOW - 8 * DAY]);

      await job.run();

      expect(job.endedAt).toHaveLength(1);
      expect(logged).not.toHaveBeenCalledWith(expect.stringMatching(/^Purged/));
    });

    it('logs a failing purge with its stack and resolves instead of throwing', async () => {
      const job = new EndedRowsJob({}, []);
      const error = new Error('database is locked');
      jest.spyOn(job as unknown as { purge: () => Promise<number> }, 'purge').mockRejectedValue(error);

      await expect(job.run()).resolves.toBeUndefined();

      expect(loggedError).toHaveBeenCalledTimes(1);
      expect(loggedError).toHaveBeenCalledWith(expect.stringContaining('Purge failed'), error.stack);
    });
  });

  describe('scheduling', () => {
    it('schedules nothing when PURGE_INTERVAL is 0s', () => {
      const job = new EndedRowsJob({ intervalMs: 0 }, []);
      const run = jest.spyOn(job, 'run').mockResolvedValue(undefined);

      job.onApplicationBootstrap();

      expect(jest.getTimerCount()).toBe(0);
      jest.advanceTimersByTime(7 * DAY);
      expect(run).not.toHaveBeenCalled();
      job.onApplicationShutdown();
    });

    it('runs once every PURGE_INTERVAL after bootstrap and stops at shutdown', () => {
      const job = new EndedRowsJob({ intervalMs: HOUR }, []);
      const run = jest.spyOn(job, 'run').mockResolvedValue(undefined);

      job.onApplicationBootstrap();
      jest.advanceTimersByTime(HOUR - 1);
      expect(run).not.toHaveBeenCalled();
      jest.advanceTimersByTime(1);
      expect(run).toHaveBeenCalledTimes(1);
      jest.advanceTimersByTime(2 * HOUR);
      expect(run).toHaveBeenCalledTimes(3);

      job.onApplicationShutdown();
      jest.advanceTimersByTime(5 * HOUR);
      expect(run).toHaveBeenCalledTimes(3);
      expect(jest.getTimerCount()).toBe(0);
    });
  });
});
