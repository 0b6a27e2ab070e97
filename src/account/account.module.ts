import { Module } from '@nestjs/common';
import { PhoneNumberService } from '../common/phone-number.service';
import { OtpModule } from '../otp/otp.module';
import { SessionsModule } from '../sessions/sessions.module';
import { SmsModule } from '../sms/sms.module';
import { UsersModule } from '../users/users.module';
import { AccountController } from './account.controller';
import { AccountDeletionService } from './account-deletion.service';
import { PhoneChangeService } from './phone-change.service';
import { ReauthenticationService } from './reauthentication.service';

/** What a signed-in user does to their account: re-authenticate, change the number, delete it. */
@Module({
  imports: [OtpModule, UsersModule, SessionsModule, SmsModule],
  controllers: [AccountController],
  providers: [ReauthenticationService, PhoneChangeService, AccountDeletionService, PhoneNumberService],
})
export class AccountModule {}
