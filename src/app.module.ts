import { Module } from '@nestjs/common';
import { ConfigModule, type ConfigType } from '@nestjs/config';
import { APP_GUARD } from '@nestjs/core';
import { ThrottlerModule } from '@nestjs/throttler';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AuthModule } from './auth/auth.module';
import { UsersModule } from './users/users.module';
import { RateLimitModule } from './common/rate-limit/rate-limit.module';
import { RateLimitStore } from './common/rate-limit/rate-limit.store';
import { ThrottlerStorageAdapter } from './common/rate-limit/throttler-storage.adapter';
import { ProblemThrottlerGuard, unlessRouteUses } from './common/throttling';
import { configNamespaces, databaseConfig, throttleConfig } from './config';
import { typeOrmOptions } from './config/typeorm.options';

@Module({
  imports: [
    // main.ts loads .env into the environment; every namespace reads and validates process.env.
    ConfigModule.forRoot({ isGlobal: true, ignoreEnvFile: true, load: configNamespaces }),
    TypeOrmModule.forRootAsync({
      inject: [databaseConfig.KEY],
      useFactory: (config: ConfigType<typeof databaseConfig>) => typeOrmOptions(config),
    }),
    RateLimitModule,
    ThrottlerModule.forRootAsync({
      inject: [throttleConfig.KEY, RateLimitStore],
      useFactory: (config: ConfigType<typeof throttleConfig>, store: RateLimitStore) => ({
        storage: new ThrottlerStorageAdapter(store),
        // Keyed on the client alone (the default key adds the route), so THROTTLE_LIMIT spans the API.
        generateKey: (_context, tracker, name) => `${name}:${tracker}`,
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
  ],
  providers: [{ provide: APP_GUARD, useClass: ProblemThrottlerGuard }],
})
export class AppModule {}
