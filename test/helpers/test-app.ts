import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Test, type TestingModuleBuilder } from '@nestjs/testing';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { AppModule } from '../../src/app.module';
import { configureApp, createFastifyAdapter } from '../../src/app.setup';
import { SmsSender } from '../../src/sms/sms-sender';
import { createTestDatabase, type Dialect } from './databases';
import { RecordingSmsSender } from './recording-sms-sender';

export interface TestApp {
  app: NestFastifyApplication;
  http: () => ReturnType<typeof request>;
  sms: RecordingSmsSender;
  db: DataSource;
  close(): Promise<void>;
}

export interface TestAppOptions {
  /** Environment variables for this app only (DESIGN §6 names). */
  env?: Record<string, string>;
  /** Extra provider overrides on top of the recording SMS sender. */
  override?: (builder: TestingModuleBuilder) => TestingModuleBuilder;
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
  OTP_PHONE_DAILY_SEND_LIMIT: '10000',
  OTP_PHONE_FAILURE_LIMIT: '10000',
  OTP_MAX_CONSECUTIVE_FAILURES: '10000',
  LOG_LEVEL: 'error',
};

/**
 * The real AppModule on a throw-away database, configured by the same configureApp() as main.ts,
 * with the SMS provider replaced by a recording fake.
 */
export async function createTestApp(dialect: Dialect, options: TestAppOptions = {}): Promise<TestApp> {
  const database = await createTestDatabase(dialect);
  const sms = new RecordingSmsSender();
  const saved = { ...process.env };
  Object.assign(process.env, TEST_ENV, { DATABASE_URL: database.url }, options.env);
  try {
    let builder = Test.createTestingModule({ imports: [AppModule] })
      .overrideProvider(SmsSender)
      .useValue(sms);
    builder = options.override?.(builder) ?? builder;
    const moduleRef = await builder.setLogger(false as never).compile();
    const app = moduleRef.createNestApplication<NestFastifyApplication>(createFastifyAdapter(), { logger: ['fatal'] });
    await configureApp(app);
    return {
      app,
      http: () => request(app.getHttpServer()),
      sms,
      db: app.get(DataSource),
      close: async () => {
        await app.close();
        await database.drop();
      },
    };
  } catch (error) {
    await database.drop();
    throw error;
  } finally {
    process.env = saved;
  }
}
