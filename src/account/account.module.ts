import { Module } from '@nestjs/common';
import { PhoneNumberService } from '../common/phone-number.service';
import { MfaModule } from '../mfa/mfa.module';
import { OtpModule } from '../otp/otp.module';
import { SessionsModule } from '../sessions/sessions.module';
import { SmsModule } from '../sms/sms.module';
import { UsersModule } from '../users/users.module';
import { AccountController } from './account.controller';
import { AccountDeletionService } from './account-deletion.service';
import { AccountRecoveryService } from './account-recovery.service';
import { PhoneChangeService } from './phone-change.service';
import { ReauthenticationService } from './reauthentication.service';
import { RecoveryController } from './recovery.controller';

/** What a user does to their account: re-authenticate, change the number, delete it, recover it after losing the phone. */
@Module({
  imports: [OtpModule, UsersModule, SessionsModule, SmsModule, MfaModule],
  controllers: [AccountController, RecoveryController],
  providers: [
    ReauthenticationService,
    PhoneChangeService,
    AccountDeletionService,
    AccountRecoveryService,
    PhoneNumberService,
  ],
})
export class AccountModule {}
