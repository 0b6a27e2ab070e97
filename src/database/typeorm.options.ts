import type { ConfigType } from '@nestjs/config';
import type { DataSource, DataSourceOptions } from 'typeorm';
import { migrations } from '../../migrations';
import type { databaseConfig } from '../config';

/**
 * The connection and migrations, shared by the app and the TypeORM CLI. Entities are not listed
 * here: each feature registers its own (TypeOrmModule.forFeature), and the CLI finds them by name.
 */
export function typeOrmOptions(config: ConfigType<typeof databaseConfig>): DataSourceOptions {
  const common = { migrations, migrationsRun: config.migrationsRun, synchronize: false };
  if (config.target.type === 'postgres') {
    return {
      ...common,
      type: 'postgres',
      url: config.target.url,
      extra: {
        max: config.poolSize,
        connectionTimeoutMillis: config.connectTimeoutMs,
        statement_timeout: config.statementTimeoutMs,
      },
    };
  }
  return {
    ...common,
    type: 'better-sqlite3',
    database: config.target.database,
    enableWAL: true,
    // WAL makes NORMAL durable against application crashes and much faster than FULL.
    prepareDatabase: (db: { pragma: (sql: string) => unknown }) => {
      db.pragma('synchronous = NORMAL');
    },
  };
}

/** Every `*.entity` file of the app, for the TypeORM CLI and the schema-drift spec. */
export const ENTITY_FILES = [`${__dirname}/../**/*.entity.{ts,js}`];

/** Any fixed 64-bit number; it names the lock every instance takes around migrations. */
const MIGRATION_LOCK = 4_815_162_342;

/**
 * Runs pending migrations. On PostgreSQL under an advisory lock, so that instances starting at
 * once take turns: the first migrates, the others wait and then find nothing pending.
 */
export async function runMigrations(dataSource: DataSource): Promise<void> {
  if (dataSource.options.type !== 'postgres') {
    await dataSource.runMigrations({ transaction: 'each' });
    return;
  }
  const lock = dataSource.createQueryRunner();
  await lock.connect();
  try {
    await lock.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]);
    await dataSource.runMigrations({ transaction: 'each' });
  } finally {
    await lock.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK]).catch(() => undefined);
    await lock.release();
  }
}
