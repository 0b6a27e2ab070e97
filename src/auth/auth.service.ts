import { Injectable } from '@nestjs/common';
import { PhoneNumberService } from '../common/phone-number.service';
import { MetricsService } from '../metrics/metrics.service';
import { OtpService } from '../otp/otp.service';
import { resolveLocale } from '../sms/code-message';
import { toUserResponse } from '../users/dto/user-response.dto';
import { UsersService } from '../users/users.service';
import type { SendOtpResponseDto } from './dto/send-otp.dto';
import type { VerifyOtpResponseDto } from './dto/verify-otp.dto';
import { SessionsService, type ClientInfo } from './sessions.service';

@Injectable()
export class AuthService {
  constructor(
    private readonly phones: PhoneNumberService,
    private readonly otp: OtpService,
    private readonly users: UsersService,
    private readonly sessions: SessionsService,
    private readonly metrics: MetricsService,
  ) {}

  /** Answers alike whether or not the number has an account, so the reply reveals nothing. */
  async sendOtp(
    rawPhoneNumber: string,
    language: { locale?: string; acceptLanguage?: string },
  ): Promise<SendOtpResponseDto> {
    const phoneNumber = this.phones.normalizeForSending(rawPhoneNumber);
    const { ttlSeconds } = await this.otp.issue(phoneNumber, resolveLocale(language.locale, language.acceptLanguage));
    return {
      message: 'OTP sent successfully',
      phone_number: phoneNumber,
      expires_in_minutes: Number((ttlSeconds / 60).toFixed(2)),
      expires_in_seconds: ttlSeconds,
    };
  }

  async verifyOtp(rawPhoneNumber: string, code: string, client: ClientInfo): Promise<VerifyOtpResponseDto> {
    const phoneNumber = this.phones.normalize(rawPhoneNumber);
    await this.otp.verify(phoneNumber, code);
    const { user, isNewUser } = await this.users.signIn(phoneNumber);
    this.metrics.signIn(isNewUser);
    return {
      message: 'Authentication successful',
      user: toUserResponse(user),
      tokens: await this.sessions.start(user.id, client),
      is_new_user: isNewUser,
    };
  }
}
