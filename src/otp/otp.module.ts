import { Inject, Logger, Module, type OnApplicationBootstrap } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { TypeOrmModule } from '@nestjs/typeorm';
import { appConfig, otpConfig } from '../config';
import { FraudModule } from '../fraud/fraud.module';
import { SmsModule } from '../sms/sms.module';
import { PhoneNumberService } from '../common/phone-number.service';
import { CodeGuesses } from './code-guesses.service';
import { DeliveryReceiptsController } from './delivery-receipts.controller';
import { DeliveryChannels } from './delivery-channels.service';
import { DeliveryReceipts } from './delivery-receipts.service';
import { OtpCode } from './otp-code.entity';
import { OtpCodesPurgeJob } from './otp-codes-purge.job';
import { OtpCodesRepository } from './otp-codes.repository';
import { OtpDeliveryService } from './otp-delivery.service';
import { OtpLimitsService } from './otp-limits.service';
import { OtpSender } from './otp-sender.service';
import { SendRefusals } from './send-refusals.service';
import { OtpService } from './otp.service';
import { ProviderCodeCheck } from './provider-code-check.service';
import { SmsDeliveriesRepository } from './sms-deliveries.repository';
import { SmsDelivery } from './sms-delivery.entity';

@Module({
  imports: [TypeOrmModule.forFeature([OtpCode, SmsDelivery]), SmsModule, FraudModule],
  controllers: [DeliveryReceiptsController],
  providers: [
    OtpCodesRepository,
    OtpSender,
    OtpService,
    CodeGuesses,
    OtpLimitsService,
    PhoneNumberService,
    SendRefusals,
    OtpDeliveryService,
    ProviderCodeCheck,
    DeliveryChannels,
    OtpCodesPurgeJob,
    SmsDeliveriesRepository,
    DeliveryReceipts,
  ],
  exports: [OtpSender, OtpService, OtpLimitsService, SendRefusals],
})
export class OtpModule implements OnApplicationBootstrap {
  constructor(
    @Inject(appConfig.KEY) private readonly app: ConfigType<typeof appConfig>,
    @Inject(otpConfig.KEY) private readonly otp: ConfigType<typeof otpConfig>,
  ) {}

  /** Fixed codes are a back door; production must say loudly that they are open. */
  onApplicationBootstrap(): void {
    if (this.app.production && this.otp.testNumbers.size) {
      new Logger('OtpModule').warn(
        `OTP_TEST_NUMBERS is set in production: ${[...this.otp.testNumbers.keys()].join(', ')} sign in with fixed codes and receive no SMS`,
      );
    }
  }
}
