import { Injectable } from '@nestjs/common';
import { ProblemException } from '../common/errors/problem.exception';
import { PhoneNumberService } from '../common/phone-number.service';
import { Sql } from '../database/sql';
import { MetricsService } from '../metrics/metrics.service';
import { OtpSender } from '../otp/otp-sender.service';
import { OtpService, signInScope, type LanguageHints } from '../otp/otp.service';
import { toUserResponse } from '../users/dto/user-response.dto';
import { UsersService } from '../users/users.service';
import type { SendOtpResponseDto } from '../otp/dto/code.dto';
import type { VerifyOtpResponseDto } from './dto/verify-otp.dto';
import { SessionsService, type ClientInfo } from '../sessions/sessions.service';

@Injectable()
export class AuthService {
  constructor(
    private readonly phones: PhoneNumberService,
    private readonly sender: OtpSender,
    private readonly otp: OtpService,
    private readonly users: UsersService,
    private readonly sessions: SessionsService,
    private readonly metrics: MetricsService,
    private readonly sql: Sql,
  ) {}

  /** Answers alike whether or not the number has an account, so the reply reveals nothing. */
  async sendOtp(rawPhoneNumber: string, language: LanguageHints): Promise<SendOtpResponseDto> {
    const phoneNumber = this.phones.normalizeForSending(rawPhoneNumber);
    return this.sender.issue(signInScope(phoneNumber), language);
  }

  /**
   * Signs in with the code. Spending it, finding or creating the user, opening the session and
   * recording the sign-in commit together, so a failure half-way leaves the code usable for the
   * retry and nothing else behind; of parallel requests with one code, one spends it and the
   * others write nothing.
   */
  async verifyOtp(rawPhoneNumber: string, code: string, client: ClientInfo): Promise<VerifyOtpResponseDto> {
    const phoneNumber = this.phones.normalize(rawPhoneNumber);
    const matched = await this.otp.check(signInScope(phoneNumber), code, client.ip ?? 'unknown');
    const { otp, users, sessions } = this;
    const outcome = await this.sql.transaction(function* () {
      if (!(yield* otp.redeem(matched))) return undefined;
      const account = yield* users.findOrCreate(phoneNumber);
      // The code proved possession of the number, so it stays spent; a deactivated account gets no session.
      if (!account.user.isActive) return { ...account, session: undefined };
      const session = yield* sessions.open(account.user.id, client);
      yield* users.recordSignIn(account.user.id);
      return { ...account, session };
    });
    const signIn = await this.otp.redeemed(matched, outcome);
    if (!signIn.session) throw new ProblemException('account_disabled');
    const tokens = await this.sessions.tokensFor(signIn.session);
    this.metrics.signIn(signIn.isNewUser);
    return {
      message: 'Authentication successful',
      user: toUserResponse(signIn.user),
      tokens,
      is_new_user: signIn.isNewUser,
    };
  }
}
