import { Logger } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { Test } from '@nestjs/testing';
import { DataSource, type Repository } from 'typeorm';
import { migrations } from '../../migrations';
import { Sql } from '../common/sql';
import { sessionConfig } from '../config';
import { OtpCode } from '../otp/otp-code.entity';
import { OtpService } from '../otp/otp.service';
import { User } from '../users/user.entity';
import { PurgeJob } from './purge.job';
import { Session } from './session.entity';
import { SessionsService } from './sessions.service';

const NOW = new Date('2026-07-08T12:00:00.000Z').getTime();
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

const CONFIG: ConfigType<typeof sessionConfig> = {
  reuseGraceMs: 10_000,
  maxAgeMs: 30 * DAY,
  purgeIntervalMs: HOUR,
  purgeRetentionMs: 7 * DAY,
};

describe('PurgeJob', () => {
  let dataSource: DataSource;
  let sessions: Repository<Session>;
  let codes: Repository<OtpCode>;
  let userId: number;
  let logged: jest.SpyInstance;
  let loggedError: jest.SpyInstance;

  /**
   * The job with the real SessionsService and OtpService on the in-memory database; whatever else
   * those services need is a bare stub, since purging touches only their repositories.
   */
  async function createJob(overrides: Partial<ConfigType<typeof sessionConfig>> = {}) {
    const moduleRef = await Test.createTestingModule({
      providers: [
        PurgeJob,
        SessionsService,
        OtpService,
        { provide: sessionConfig.KEY, useValue: { ...CONFIG, ...overrides } },
        Sql,
        { provide: DataSource, useValue: dataSource },
      ],
    })
      .useMocker(() => ({}))
      .compile();
    return {
      job: moduleRef.get(PurgeJob),
      sessionsService: moduleRef.get(SessionsService),
      otpService: moduleRef.get(OtpService),
    };
  }

  /** A session that ended (or will end) at the given instants. */
  async function insertSession(id: string, ended: { revokedAt?: number; expiresAt?: number }): Promise<void> {
    const createdAt = new Date(NOW - 20 * DAY);
    await sessions.insert({
      id,
      userId,
      refreshJti: `${id.slice(0, 30)}-jti`,
      previousRefreshJti: null,
      rotatedAt: createdAt,
      createdAt,
      lastUsedAt: createdAt,
      expiresAt: new Date(ended.expiresAt ?? NOW + 10 * DAY),
      revokedAt: ended.revokedAt === undefined ? null : new Date(ended.revokedAt),
      revokedReason: ended.revokedAt === undefined ? null : 'logout',
      userAgent: null,
      ip: null,
    });
  }

  async function insertCode(phoneNumber: string, expiresAt: number, consumed = false): Promise<void> {
    await codes.insert({
      phoneNumber,
      codeHash: 'f'.repeat(64),
      attempts: 0,
      createdAt: new Date(expiresAt - 5 * 60_000),
      expiresAt: new Date(expiresAt),
      consumedAt: consumed ? new Date(expiresAt - 60_000) : null,
      invalidatedAt: null,
    });
  }

  const sessionIds = async () => (await sessions.find({ order: { id: 'ASC' } })).map((s) => s.id);
  const codePhones = async () => (await codes.find({ order: { id: 'ASC' } })).map((c) => c.phoneNumber);

  beforeAll(async () => {
    dataSource = new DataSource({
      type: 'better-sqlite3',
      database: ':memory:',
      entities: [User, OtpCode, Session],
      migrations,
      migrationsRun: true,
    });
    await dataSource.initialize();
    sessions = dataSource.getRepository(Session);
    codes = dataSource.getRepository(OtpCode);
    const users = dataSource.getRepository(User);
    const user = users.create({
      phoneNumber: '+12015550101',
      username: '+12015550101',
      firstName: '',
      lastName: '',
      isPhoneVerified: true,
      isActive: true,
      dateJoined: new Date(NOW - 30 * DAY),
      lastLogin: null,
    });
    await users.insert(user);
    userId = user.id;
  });

  afterAll(async () => {
    await dataSource.destroy();
  });

  beforeEach(async () => {
    await sessions.clear();
    await codes.clear();
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
    beforeEach(async () => {
      await insertSession('a-revoked-8-days-ago', { revokedAt: NOW - 8 * DAY });
      await insertSession('b-expired-8-days-ago', { expiresAt: NOW - 8 * DAY });
      await insertSession('c-revoked-6-days-ago', { revokedAt: NOW - 6 * DAY });
      await insertSession('d-expired-yesterday', { expiresAt: NOW - DAY });
      await insertSession('e-live', {});
      await insertCode('+12015550111', NOW - 8 * DAY, true);
      await insertCode('+12015550112', NOW - 8 * DAY);
      await insertCode('+12015550113', NOW - 6 * DAY, true);
      await insertCode('+12015550114', NOW + 4 * 60_000);
    });

    it('deletes sessions and codes that ended more than PURGE_RETENTION ago and keeps the rest', async () => {
      const { job } = await createJob();

      await job.run();

      expect(await sessionIds()).toEqual(['c-revoked-6-days-ago', 'd-expired-yesterday', 'e-live']);
      expect(await codePhones()).toEqual(['+12015550113', '+12015550114']);
      expect(logged).toHaveBeenCalledWith('Purged 2 ended sessions and 2 spent codes');
      expect(loggedError).not.toHaveBeenCalled();
    });

    it('counts the retention from the instant it is given', async () => {
      const { job } = await createJob({ purgeRetentionMs: 5 * DAY });

      await job.run(new Date(NOW - 2 * DAY));

      expect(await sessionIds()).toEqual(['c-revoked-6-days-ago', 'd-expired-yesterday', 'e-live']);
      expect(await codePhones()).toEqual(['+12015550113', '+12015550114']);
    });

    it('keeps everything with a longer retention, and logs nothing when nothing was purged', async () => {
      const { job } = await createJob({ purgeRetentionMs: 30 * DAY });

      await job.run();

      expect(await sessions.count()).toBe(5);
      expect(await codes.count()).toBe(4);
      expect(logged).not.toHaveBeenCalledWith(expect.stringMatching(/^Purged/));
    });

    it('lets several instances purge at once: each row is deleted once and nothing fails', async () => {
      const [first, second] = await Promise.all([createJob(), createJob()]);

      await Promise.all([first.job.run(), second.job.run(), first.job.run()]);

      expect(await sessionIds()).toEqual(['c-revoked-6-days-ago', 'd-expired-yesterday', 'e-live']);
      expect(await codePhones()).toEqual(['+12015550113', '+12015550114']);
      expect(loggedError).not.toHaveBeenCalled();
    });

    it.each(['sessionsService', 'otpService'] as const)(
      'logs a failing purge (%s) with its stack and resolves instead of throwing',
      async (failing) => {
        const services = await createJob();
        const error = new Error('database is locked');
        jest.spyOn(services[failing], 'purge').mockRejectedValue(error);

        await expect(services.job.run()).resolves.toBeUndefined();

        expect(loggedError).toHaveBeenCalledTimes(1);
        expect(loggedError).toHaveBeenCalledWith(expect.stringContaining('Purge failed'), error.stack);
      },
    );
  });

  describe('scheduling', () => {
    it('schedules nothing when PURGE_INTERVAL is 0s', async () => {
      const { job } = await createJob({ purgeIntervalMs: 0 });
      const run = jest.spyOn(job, 'run').mockResolvedValue(undefined);

      job.onApplicationBootstrap();

      expect(jest.getTimerCount()).toBe(0);
      jest.advanceTimersByTime(7 * DAY);
      expect(run).not.toHaveBeenCalled();
      job.onApplicationShutdown();
    });

    it('runs once every PURGE_INTERVAL after bootstrap and stops at shutdown', async () => {
      const { job } = await createJob({ purgeIntervalMs: HOUR });
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
