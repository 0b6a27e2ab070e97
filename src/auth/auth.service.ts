import { Injectable } from '@nestjs/common';
import { ProblemException } from '../common/errors/problem.exception';
import { PhoneNumberService } from '../common/phone-number.service';
import { MetricsService } from '../metrics/metrics.service';
import { OtpService, type LanguageHints } from '../otp/otp.service';
import { toUserResponse } from '../users/dto/user-response.dto';
import { UsersService } from '../users/users.service';
import type { SendOtpResponseDto } from './dto/send-otp.dto';
import type { VerifyOtpResponseDto } from './dto/verify-otp.dto';
import { SessionsService, type ClientInfo } from '../sessions/sessions.service';

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
  async sendOtp(rawPhoneNumber: string, language: LanguageHints): Promise<SendOtpResponseDto> {
    const phoneNumber = this.phones.normalizeForSending(rawPhoneNumber);
    const { ttlSeconds } = await this.otp.issue(phoneNumber, language);
    return {
      message: 'OTP sent successfully',
      phone_number: phoneNumber,
      expires_in_minutes: Number((ttlSeconds / 60).toFixed(2)),
      expires_in_seconds: ttlSeconds,
    };
  }

  /**
   * Signs in with the code. The code is spent last, after the user and the session exist, so an
   * outage half-way leaves it usable for the retry (and the user still "new"); a request that
   * loses the race to spend it throws its freshly made session away.
   */
  async verifyOtp(rawPhoneNumber: string, code: string, client: ClientInfo): Promise<VerifyOtpResponseDto> {
    const phoneNumber = this.phones.normalize(rawPhoneNumber);
    const matched = await this.otp.check(phoneNumber, code, client.ip ?? 'unknown');
    const { user, isNewUser } = await this.users.findOrCreate(phoneNumber);
    if (!user.isActive) {
      // The code proved possession of the number, so it is spent; a deactivated account gets no session.
      await this.otp.consume(matched);
      throw new ProblemException('account_disabled');
    }
    const tokens = await this.sessions.start(user.id, client);
    try {
      await this.otp.consume(matched);
    } catch (error) {
      await this.sessions.discard(tokens).catch(() => undefined);
      throw error;
    }
    // Bookkeeping only: the sign-in is complete, so a failure here must not turn it into an error.
    await this.users.recordSignIn(user.id).catch(() => undefined);
    this.metrics.signIn(isNewUser);
    return { message: 'Authentication successful', user: toUserResponse(user), tokens, is_new_user: isNewUser };
  }
}
