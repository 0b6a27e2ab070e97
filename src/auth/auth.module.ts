import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { JwtModule } from '@nestjs/jwt';
import { PassportModule } from '@nestjs/passport';
import { Sql } from '../common/sql';
import { PhoneNumberService } from '../common/phone-number.service';
import { jwtConfig } from '../config';
import { OtpModule } from '../otp/otp.module';
import { UsersModule } from '../users/users.module';
import { AuthController } from './auth.controller';
import { AuthService } from './auth.service';
import { JwtAuthGuard } from './jwt-auth.guard';
import { JwtStrategy } from './jwt.strategy';
import { PurgeJob } from './purge.job';
import { SessionsController } from './sessions.controller';
import { SessionsService } from './sessions.service';
import { SigningKeys, jwtModuleOptions } from './signing-keys';
import { TokenService } from './token.service';

@Module({
  imports: [
    PassportModule,
    JwtModule.registerAsync({ inject: [jwtConfig.KEY], useFactory: jwtModuleOptions }),
    OtpModule,
    UsersModule,
  ],
  controllers: [AuthController, SessionsController],
  providers: [
    Sql,
    AuthService,
    SessionsService,
    TokenService,
    JwtStrategy,
    SigningKeys,
    PhoneNumberService,
    PurgeJob,
    { provide: APP_GUARD, useClass: JwtAuthGuard },
  ],
})
export class AuthModule {}
