import { Inject, Injectable } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { ProblemException } from '../common/errors/problem.exception';
import { PhoneNumberService } from '../common/phone-number.service';
import { accountConfig } from '../config';
import { isUniqueViolation } from '../database/database-errors';
import { Sql } from '../database/sql';
import type { SendOtpResponseDto } from '../otp/dto/code.dto';
import { OtpSender } from '../otp/otp-sender.service';
import { SendRefusals } from '../otp/send-refusals.service';
import { OtpService, type CodeScope, type LanguageHints, type SendRequest } from '../otp/otp.service';
import { RateLimitStore, retryAfterSeconds, type LimitRule, type LimitVerdict } from '../rate-limit/rate-limit.store';
import { resolveLocale } from '../sms/code-message';
import { SmsNotices } from '../sms/sms-notices.service';
import type { ClientInfo } from '../sessions/sessions.service';
import { SessionChanges } from '../sessions/session-changes.service';
import { SessionsService } from '../sessions/sessions.service';
import { toUserResponse } from '../users/dto/user-response.dto';
import type { AuthenticatedUser } from '../users/authenticated-user';
import { UsersService } from '../users/users.service';
import type { PhoneChangedDto } from './dto/account.dto';

const DAY = 86_400_000;

/**
 * Moves an account to a new number. The code goes to the new number and is bound to the user who
 * asked, so it proves that this user holds that number; nothing is reserved before that, so
 * nobody can squat a number they do not hold. Whether the number belongs to another account is
 * told only to someone who proved they hold it.
 */
@Injectable()
export class PhoneChangeService {
  constructor(
    private readonly phones: PhoneNumberService,
    private readonly sender: OtpSender,
    private readonly otp: OtpService,
    private readonly users: UsersService,
    private readonly sessions: SessionsService,
    private readonly sessionChanges: SessionChanges,
    private readonly notices: SmsNotices,
    private readonly refusals: SendRefusals,
    private readonly sql: Sql,
    @Inject(RateLimitStore) private readonly limits: RateLimitStore,
    @Inject(accountConfig.KEY) private readonly config: ConfigType<typeof accountConfig>,
  ) {}

  /** Texts a code to the new number; answers alike whether or not another account holds it. */
  async request(caller: AuthenticatedUser, newPhoneNumber: string, sending: SendRequest): Promise<SendOtpResponseDto> {
    const subject = { purpose: 'phone_change', userId: caller.user.id, channel: sending.channel, ip: sending.clientIp };
    const scope = changeScope(caller, await this.refusals.sendableNumber(newPhoneNumber, subject));
    refuseLimit(await this.limits.check([this.dailyLimit(caller)]));
    return this.sender.issue(scope, sending);
  }

  /**
   * Spends the code, moves the account, ends the sessions PHONE_CHANGE_REVOKE names and renews
   * the caller's, all in one transaction; then texts the old number that it no longer signs in.
   */
  async verify(
    caller: AuthenticatedUser,
    newPhoneNumber: string,
    code: string,
    client: ClientInfo,
    language: LanguageHints,
  ): Promise<PhoneChangedDto> {
    const scope = changeScope(caller, this.phones.normalize(newPhoneNumber));
    const matched = await this.otp.check(scope, code, client.ip ?? 'unknown');
    refuseLimit(await this.limits.consume([this.dailyLimit(caller)]));

    const from = caller.user.phoneNumber;
    const { otp, users, sessionChanges } = this;
    const revoke = this.config.phoneChangeRevoke;
    const outcome = await this.sql
      .transaction(function* () {
        if (!(yield* otp.redeem(matched))) return undefined;
        const user = yield* users.changePhoneNumber(caller.user.id, from, scope.phoneNumber);
        const session = yield* sessionChanges.afterPhoneChange(caller, revoke, client);
        return { user, session };
      })
      .catch((error: unknown) => {
        throw isUniqueViolation(error) ? new ProblemException('phone_number_in_use') : error;
      });
    const { user, session } = await this.otp.redeemed(matched, outcome);

    const tokens = this.sessions.tokensFor(session);
    await this.notices.phoneNumberChanged(from, resolveLocale(language.locale, language.acceptLanguage));
    return { message: 'Phone number changed', user: toUserResponse(user), tokens };
  }

  private dailyLimit({ user }: AuthenticatedUser): LimitRule {
    return { key: `account:phone-change:${user.id}`, limit: this.config.phoneChangeDailyLimit, windowMs: DAY };
  }
}

/** The scope of a change code: the new number, for this user only. */
function changeScope({ user }: AuthenticatedUser, phoneNumber: string): CodeScope {
  if (phoneNumber === user.phoneNumber) throw new ProblemException('same_phone_number');
  return { phoneNumber, purpose: 'phone_change', userId: user.id };
}

function refuseLimit(verdict: LimitVerdict): void {
  if (verdict.allowed) return;
  throw new ProblemException('rate_limited', {
    detail: 'Too many phone-number changes today (PHONE_CHANGE_DAILY_LIMIT). Try again later.',
    retryAfter: retryAfterSeconds(verdict),
  });
}
