import type { ConfigType } from '@nestjs/config';
import type { DataSourceOptions } from 'typeorm';
import { migrations } from '../../migrations';
import { Session } from '../auth/session.entity';
import { OtpCode } from '../otp/otp-code.entity';
import { User } from '../users/user.entity';
import type { databaseConfig } from './database.config';

/** The one description of the schema and connection, shared by the app and the TypeORM CLI. */
export function typeOrmOptions(config: ConfigType<typeof databaseConfig>): DataSourceOptions {
  const common = {
    entities: [User, OtpCode, Session],
    migrations,
    migrationsRun: config.migrationsRun,
    synchronize: false,
  };
  if (config.target.type === 'postgres') {
    return { ...common, type: 'postgres', url: config.target.url };
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
