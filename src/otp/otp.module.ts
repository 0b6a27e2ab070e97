import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { SmsModule } from '../sms/sms.module';
import { OtpCode } from './otp-code.entity';
import { OtpService } from './otp.service';

@Module({
  imports: [TypeOrmModule.forFeature([OtpCode]), SmsModule],
  providers: [OtpService],
  exports: [OtpService],
})
export class OtpModule {}
