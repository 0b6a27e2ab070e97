// The app's own persistence on a bench database: its TypeORM options, entities and migrations,
// and the statements its repositories send, which the baselines send through their raw drivers.
import type { ConfigType } from '@nestjs/config';
import { DataSource } from 'typeorm';
import { AuditEventsRepository } from '../src/audit/audit-events.repository';
import { AuditTrail } from '../src/audit/audit-trail.service';
import type { otpConfig } from '../src/config';
import { parseDatabaseUrl } from '../src/config/database.config';
import { Sql } from '../src/database/sql';
import { ENTITY_FILES, runMigrations, typeOrmOptions } from '../src/database/typeorm.options';
import { TotpFactorsRepository } from '../src/mfa/totp-factors.repository';
import { OtpCodesRepository } from '../src/otp/otp-codes.repository';
import { SmsDeliveriesRepository } from '../src/otp/sms-deliveries.repository';
import { SessionsRepository } from '../src/sessions/sessions.repository';
import { User } from '../src/users/user.entity';
import { UsersRepository } from '../src/users/users.repository';
import { OTP } from './config';

export interface OpenOptions {
  /** Runs the app's migrations first (the baselines' databases; the app migrates its own). */
  migrate?: boolean;
  /** At least 2 to migrate PostgreSQL: runMigrations() holds one connection for its lock. */
  poolSize?: number;
}

/** A TypeORM DataSource with the app's connection options and entities on `databaseUrl`. */
export async function openDataSource(databaseUrl: string, { migrate = false, poolSize = 2 }: OpenOptions = {}) {
  const options = typeOrmOptions({
    target: parseDatabaseUrl(databaseUrl),
    migrationsRun: false,
    poolSize,
    connectRetries: 0,
    // Generous: a dozen servers boot at once on two cores, and boot is not measured.
    connectTimeoutMs: 30_000,
    statementTimeoutMs: 60_000,
  });
  const dataSource = await new DataSource({ ...options, entities: ENTITY_FILES }).initialize();
  try {
    if (migrate) await runMigrations(dataSource);
  } catch (error) {
    await dataSource.destroy();
    throw error;
  }
  return dataSource;
}

/** What `work` returns, on a DataSource that is closed afterwards. */
export async function withDataSource<T>(databaseUrl: string, work: (dataSource: DataSource) => Promise<T>): Promise<T> {
  const dataSource = await openDataSource(databaseUrl);
  try {
    return await work(dataSource);
  } finally {
    await dataSource.destroy();
  }
}

/**
 * The app's statements for the dialect of `dataSource` (placeholders as its driver writes them),
 * and the app's own writers of the rows a route adds to them (its audit events, a send's delivery
 * record, the sign-in's second-factor check), whose steps the baselines run in their transactions.
 */
export function appStatements(dataSource: DataSource) {
  const sql = new Sql(dataSource);
  // The audit trail reads only the secret its number hashes are keyed from.
  const otp = { secret: OTP.secret } as ConfigType<typeof otpConfig>;
  return {
    users: new UsersRepository(sql).statements,
    otpCodes: new OtpCodesRepository(sql).statements,
    sessions: new SessionsRepository(sql).statements,
    audit: new AuditTrail(new AuditEventsRepository(sql), sql, otp),
    totpFactors: new TotpFactorsRepository(sql),
    deliveries: new SmsDeliveriesRepository(sql),
    /**
     * B3's own read, as issue 7 words it ("read the user by primary key"); the app reads the user
     * through its live-session join (`sessions.authenticate`) instead, and has no such statement.
     */
    userById: sql.statement<{ id: number }>(
      (p) => `SELECT ${sql.rowsOf(User).selectList()} FROM users WHERE id = ${p('id')} AND is_active = TRUE`,
    ),
  };
}

export type AppStatements = ReturnType<typeof appStatements>;
