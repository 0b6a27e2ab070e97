import { Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { APP_GUARD } from '@nestjs/core';
import { AccountModule } from './account/account.module';
import { AdminModule } from './admin/admin.module';
import { AuditModule } from './audit/audit.module';
import { AuthModule } from './auth/auth.module';
import { JwtAuthGuard } from './auth/jwt-auth.guard';
import { configNamespaces } from './config';
import { DatabaseModule } from './database/database.module';
import { DemoModule } from './demo/demo.module';
import { HealthModule } from './health/health.module';
import { MetricsModule } from './metrics/metrics.module';
import { MfaModule } from './mfa/mfa.module';
import { PasskeysModule } from './passkeys/passkeys.module';
import { ProblemThrottlerGuard } from './rate-limit/problem-throttler.guard';
import { RateLimitModule } from './rate-limit/rate-limit.module';
import { RedisModule } from './redis/redis.module';
import { SessionsModule } from './sessions/sessions.module';
import { UsersModule } from './users/users.module';

@Module({
  imports: [
    // main.ts loads .env into the environment; every namespace reads and validates process.env.
    ConfigModule.forRoot({ isGlobal: true, ignoreEnvFile: true, load: configNamespaces }),
    DatabaseModule,
    RedisModule,
    RateLimitModule,
    MetricsModule,
    AuditModule,
    UsersModule,
    SessionsModule,
    AuthModule,
    AccountModule,
    MfaModule,
    PasskeysModule,
    AdminModule,
    DemoModule,
    HealthModule,
  ],
  providers: [
    // In this order: a client over its limit is refused before its token costs a database read.
    { provide: APP_GUARD, useClass: ProblemThrottlerGuard },
    { provide: APP_GUARD, useClass: JwtAuthGuard },
  ],
})
export class AppModule {}
