import { Module } from '@nestjs/common';
import { PassportModule } from '@nestjs/passport';
import { PhoneNumberService } from '../common/phone-number.service';
import { MfaModule } from '../mfa/mfa.module';
import { OtpModule } from '../otp/otp.module';
import { PasskeysModule } from '../passkeys/passkeys.module';
import { SessionsModule } from '../sessions/sessions.module';
import { UsersModule } from '../users/users.module';
import { AuthController } from './auth.controller';
import { AuthService } from './auth.service';
import { JwtStrategy } from './jwt.strategy';

/** Sign-in by phone (send, verify, refresh, logout) and the JWT strategy behind the global guard. */
@Module({
  imports: [PassportModule, OtpModule, UsersModule, SessionsModule, MfaModule, PasskeysModule],
  controllers: [AuthController],
  providers: [AuthService, JwtStrategy, PhoneNumberService],
})
export class AuthModule {}
