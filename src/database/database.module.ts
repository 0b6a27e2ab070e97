import { Global, Module } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { TypeOrmModule } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { databaseConfig } from '../config';
import { Sql } from './sql';
import { runMigrations, typeOrmOptions } from './typeorm.options';

/** The TypeORM connection, migrated under a lock at boot, and the one `Sql` every repository uses. */
@Global()
@Module({
  imports: [
    TypeOrmModule.forRootAsync({
      inject: [databaseConfig.KEY],
      useFactory: (config: ConfigType<typeof databaseConfig>) => ({
        ...typeOrmOptions(config),
        autoLoadEntities: true,
        retryAttempts: config.connectRetries,
        retryDelay: 2_000,
      }),
      // TypeORM's own migrationsRun has no lock; runMigrations() takes one on PostgreSQL.
      dataSourceFactory: async (options) => {
        const dataSource = await new DataSource({ ...options!, migrationsRun: false }).initialize();
        if (options!.migrationsRun) await runMigrations(dataSource);
        return dataSource;
      },
    }),
  ],
  providers: [Sql],
  exports: [Sql],
})
export class DatabaseModule {}
