import { Module } from '@nestjs/common';
import { ConfigModule, type ConfigType } from '@nestjs/config';
import { APP_GUARD } from '@nestjs/core';
import { ThrottlerModule } from '@nestjs/throttler';
import { TypeOrmModule } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { AuthModule } from './auth/auth.module';
import { HealthModule } from './health/health.module';
import { MetricsModule } from './metrics/metrics.module';
import { UsersModule } from './users/users.module';
import { RateLimitModule } from './common/rate-limit/rate-limit.module';
import { RateLimitStore } from './common/rate-limit/rate-limit.store';
import { ThrottlerStorageAdapter } from './common/rate-limit/throttler-storage.adapter';
import { ProblemThrottlerGuard, unlessRouteUses } from './common/throttling';
import { configNamespaces, databaseConfig, throttleConfig } from './config';
import { runMigrations, typeOrmOptions } from './config/typeorm.options';

@Module({
  imports: [
    // main.ts loads .env into the environment; every namespace reads and validates process.env.
    ConfigModule.forRoot({ isGlobal: true, ignoreEnvFile: true, load: configNamespaces }),
    TypeOrmModule.forRootAsync({
      inject: [databaseConfig.KEY],
      useFactory: (config: ConfigType<typeof databaseConfig>) => ({
        ...typeOrmOptions(config),
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
    RateLimitModule,
    ThrottlerModule.forRootAsync({
      inject: [throttleConfig.KEY, RateLimitStore],
      useFactory: (config: ConfigType<typeof throttleConfig>, store: RateLimitStore) => ({
        storage: new ThrottlerStorageAdapter(store),
        // Keyed on the client alone (the default key adds the route), so THROTTLE_LIMIT spans the API.
        generateKey: (_context, tracker) => tracker,
        throttlers: [
          { name: 'default', limit: config.limit, ttl: config.ttlMs },
          {
            name: 'otp-send',
            limit: config.otpIpSendLimit,
            ttl: config.otpIpSendWindowMs,
            skipIf: unlessRouteUses('otp-send'),
          },
          {
            name: 'otp-verify',
            limit: config.otpIpVerifyLimit,
            ttl: config.otpIpVerifyWindowMs,
            skipIf: unlessRouteUses('otp-verify'),
          },
        ],
      }),
    }),
    AuthModule,
    UsersModule,
    HealthModule,
    MetricsModule,
  ],
  providers: [{ provide: APP_GUARD, useClass: ProblemThrottlerGuard }],
})
export class AppModule {}
