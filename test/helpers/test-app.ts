import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Test, type TestingModuleBuilder } from '@nestjs/testing';
import type request from 'supertest';
import { DataSource } from 'typeorm';
import { AppModule } from '../../src/app.module';
import { configureApp, createFastifyAdapter } from '../../src/app.setup';
import { SmsSender } from '../../src/sms/sms-sender';
import { ApiClient } from './api-client';
import { deleteRedisPrefix, parseBackend, testRedisUrl, uniqueRedisPrefix, type Backend } from './backends';
import { createTestDatabase } from './databases';
import { conformingRequest } from './openapi-conformance';
import { RecordingSmsSender } from './recording-sms-sender';

export interface TestApp {
  app: NestFastifyApplication;
  http: () => ReturnType<typeof request>;
  /** The API's routes as typed calls, through `http()`. */
  api: ApiClient;
  sms: RecordingSmsSender;
  db: DataSource;
  /** The app's REDIS_KEY_PREFIX when it keeps its counters in Redis; its keys are deleted on close. */
  redisKeyPrefix?: string;
  close(): Promise<void>;
}

export interface TestAppOptions {
  /** Environment variables for this app only (DESIGN §6 names). */
  env?: Record<string, string>;
  /** Extra provider overrides on top of the recording SMS sender. */
  override?: (builder: TestingModuleBuilder) => TestingModuleBuilder;
  /**
   * Keep the SMS adapter that SMS_PROVIDER selects instead of the recording fake, for tests
   * against a local provider fake; `sms` then records nothing.
   */
  realSms?: boolean;
  /**
   * Keep the rate-limit counters in the Redis at TEST_REDIS_URL (as a `…+redis` backend does),
   * under a key prefix of this app's own. `env` may still point REDIS_URL elsewhere, e.g. at a
   * proxy in front of that Redis.
   */
  redis?: boolean;
  /** Rewrites the throw-away database's URL before the app sees it, e.g. to go through a proxy. */
  mapDatabaseUrl?: (url: string) => string;
}

/** Limits high enough that only the tests about limits ever meet one. */
const TEST_ENV: Record<string, string> = {
  NODE_ENV: 'test',
  SMS_MOCK_FAILURE_RATE: '0',
  SMS_MOCK_OUTBOX: '',
  THROTTLE_LIMIT: '10000',
  OTP_IP_SEND_LIMIT: '10000',
  OTP_IP_VERIFY_LIMIT: '10000',
  OTP_RESEND_COOLDOWN: '0s',
  OTP_PHONE_SEND_LIMIT: '10000',
  SMS_HOURLY_BUDGET: '100000',
  FRAUD_MIN_SENDS: '100000',
  FRAUD_COUNTRY_MIN_SENDS: '100000',
  OTP_PHONE_DAILY_SEND_LIMIT: '10000',
  OTP_PHONE_FAILURE_LIMIT: '10000',
  OTP_MAX_CONSECUTIVE_FAILURES: '10000',
  LOG_LEVEL: 'error',
  // A boot that fails on purpose must not leave TypeORM retrying against a dropped database.
  DATABASE_CONNECT_RETRIES: '0',
};

/**
 * The real AppModule on a throw-away database, configured by the same configureApp() as main.ts,
 * with the SMS provider replaced by a recording fake (unless `realSms`).
 */
export async function createTestApp(backend: Backend, options: TestAppOptions = {}): Promise<TestApp> {
  const { dialect, redis } = parseBackend(backend);
  const redisKeyPrefix = redis || options.redis ? uniqueRedisPrefix() : undefined;
  // Without Redis the counters live in memory, even if the shell running the tests exports REDIS_URL.
  const redisEnv = redisKeyPrefix ? { REDIS_URL: testRedisUrl(), REDIS_KEY_PREFIX: redisKeyPrefix } : { REDIS_URL: '' };
  const cleanUpRedis = async () => {
    if (redisKeyPrefix) await deleteRedisPrefix(redisKeyPrefix);
  };
  const database = await createTestDatabase(dialect);
  const databaseUrl = options.mapDatabaseUrl?.(database.url) ?? database.url;
  const sms = new RecordingSmsSender();
  const saved = { ...process.env };
  Object.assign(process.env, TEST_ENV, { DATABASE_URL: databaseUrl }, redisEnv, options.env);
  try {
    let builder = Test.createTestingModule({ imports: [AppModule] });
    if (!options.realSms) builder = builder.overrideProvider(SmsSender).useValue(sms);
    builder = options.override?.(builder) ?? builder;
    const moduleRef = await builder.setLogger(false as never).compile();
    const app = moduleRef.createNestApplication<NestFastifyApplication>(createFastifyAdapter(), { logger: ['fatal'] });
    await configureApp(app);
    // Every response of every e2e suite is checked against the OpenAPI document (issue 8).
    const http = conformingRequest(app.getHttpServer());
    return {
      app,
      http,
      api: new ApiClient(http),
      sms,
      db: app.get(DataSource),
      redisKeyPrefix,
      close: async () => {
        await app.close();
        await database.drop();
        await cleanUpRedis();
      },
    };
  } catch (error) {
    await database.drop();
    await cleanUpRedis();
    throw error;
  } finally {
    process.env = saved;
  }
}

/**
 * One app for the enclosing `describe` block: built by `createTestApp()` before its tests and
 * closed after them, or, with `lifetime` 'test', a fresh app for every test (for tests that must
 * each start from empty counters). Returns an accessor for the block's tests and later hooks.
 * `options` may be a function, read when the app is built, when it depends on what earlier hooks
 * started (a provider fake's URL).
 */
export function useTestApp(
  backend: Backend,
  options: TestAppOptions | (() => TestAppOptions) = {},
  lifetime: 'describe' | 'test' = 'describe',
): () => TestApp {
  let t: TestApp | undefined;
  const [before, after] = lifetime === 'test' ? [beforeEach, afterEach] : [beforeAll, afterAll];
  before(async () => {
    t = await createTestApp(backend, typeof options === 'function' ? options() : options);
  });
  after(async () => {
    await t?.close();
    t = undefined;
  });
  return () => {
    if (!t) throw new Error('useTestApp(): the app exists only inside the tests and hooks of its describe block');
    return t;
  };
}
