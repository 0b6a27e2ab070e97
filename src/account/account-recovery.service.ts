import { Inject, Injectable } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { ProblemException } from '../common/errors/problem.exception';
import { PhoneNumberService } from '../common/phone-number.service';
import { accountConfig } from '../config';
import { isUniqueViolation } from '../database/database-errors';
import { Sql } from '../database/sql';
import { SecondFactors, type CheckedProof, type Proof } from '../mfa/second-factors.service';
import type { SendOtpResponseDto } from '../otp/dto/code.dto';
import { OtpSender } from '../otp/otp-sender.service';
import { SendRefusals } from '../otp/send-refusals.service';
import { OtpService, type CodeScope, type LanguageHints, type SendRequest } from '../otp/otp.service';
import { RateLimitStore, retryAfterSeconds, type LimitRule } from '../rate-limit/rate-limit.store';
import { resolveLocale } from '../sms/code-message';
import { SmsNotices } from '../sms/sms-notices.service';
import { SessionChanges } from '../sessions/session-changes.service';
import { SessionsService, type ClientInfo } from '../sessions/sessions.service';
import { toUserResponse } from '../users/dto/user-response.dto';
import { UsersService } from '../users/users.service';
import type { PhoneChangedDto } from './dto/account.dto';

const DAY = 86_400_000;

export interface RecoveryRequest {
  phoneNumber: string;
  newPhoneNumber: string;
}

/**
 * A way back in after losing the phone: a second factor proves who the user is, a code texted to
 * the new number proves they hold it, and the account moves there as a phone change would, with
 * every session ended. A user without a second factor has no such path: with the number as the
 * only factor, whoever holds the new number would take the account.
 */
@Injectable()
export class AccountRecoveryService {
  constructor(
    private readonly phones: PhoneNumberService,
    private readonly factors: SecondFactors,
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

  /**
   * Spends the proof, then texts a code to the new number, bound to the account. A proof that
   * fails, an unknown number and an account without a factor all answer `otp_invalid`.
   */
  async request(
    request: RecoveryRequest,
    proof: Proof,
    sending: SendRequest,
    client: string,
  ): Promise<SendOtpResponseDto> {
    const from = this.phones.normalize(request.phoneNumber);
    const subject = { purpose: 'account_recovery', channel: sending.channel, ip: sending.clientIp };
    const to = await this.refusals.sendableNumber(request.newPhoneNumber, subject);
    if (from === to) throw new ProblemException('same_phone_number');
    const failures = this.failureRule(from);
    const verdict = await this.limits.check([failures]);
    if (!verdict.allowed) {
      throw new ProblemException('rate_limited', {
        detail: 'Too many failed recoveries of this number today (ACCOUNT_RECOVERY_FAILURE_LIMIT). Try again later.',
        retryAfter: retryAfterSeconds(verdict),
      });
    }
    const user = await this.users.findActiveByPhoneNumber(from);
    // An unknown number has no factor to match. A stranger may try this for any number, so
    // failures count against the stranger and this route only.
    const account = { id: user?.id ?? 0, phoneNumber: from };
    let checked: CheckedProof;
    try {
      checked = await this.factors.check(account, proof, client, { provenNumber: false });
    } catch (error) {
      if (error instanceof ProblemException && error.code === 'otp_invalid') {
        await this.limits.increment(failures.key, failures.windowMs, failures.limit);
      }
      throw error;
    }
    await this.sql.perform(this.factors.spend(checked));
    try {
      return await this.sender.issue(recoveryScope(account.id, to), sending);
    } catch (error) {
      // No code is on its way (a send limit, the SMS provider): the recovery code is not used up.
      await this.factors.giveBack(checked);
      throw error;
    }
  }

  /**
   * Spends the code, moves the account to the new number, ends every session and opens one for
   * this client, in one transaction; then texts the old number that it no longer signs in.
   */
  async verify(
    request: RecoveryRequest,
    code: string,
    client: ClientInfo,
    language: LanguageHints,
  ): Promise<PhoneChangedDto> {
    const from = this.phones.normalize(request.phoneNumber);
    const to = this.phones.normalize(request.newPhoneNumber);
    if (from === to) throw new ProblemException('same_phone_number');
    const user = await this.users.findActiveByPhoneNumber(from);
    // An unknown number meets no code of this scope: counted and answered like a wrong code.
    const matched = await this.otp.check(recoveryScope(user?.id ?? 0, to), code, client.ip ?? 'unknown');
    const userId = user?.id ?? 0;
    const { otp, users, sessionChanges } = this;
    const outcome = await this.sql
      .transaction(function* () {
        if (!(yield* otp.redeem(matched))) return undefined;
        const moved = yield* users.changePhoneNumber(userId, from, to);
        const session = yield* sessionChanges.replaceAll(userId, 'account_recovered', client);
        yield* users.recordSignIn(moved);
        yield* sessionChanges.signedIn(moved, session, client, 'recovery');
        return { user: moved, session };
      })
      .catch((error: unknown) => {
        throw isUniqueViolation(error) ? new ProblemException('phone_number_in_use') : error;
      });
    const recovered = await this.otp.redeemed(matched, outcome);
    const tokens = this.sessions.tokensFor(recovered.session);
    await this.notices.phoneNumberChanged(from, resolveLocale(language.locale, language.acceptLanguage));
    return { message: 'Account recovered', user: toUserResponse(recovered.user), tokens };
  }

  private failureRule(phoneNumber: string): LimitRule {
    return {
      key: `account:recovery:fail:${phoneNumber}`,
      limit: this.config.recoveryFailureLimit,
      windowMs: DAY,
    };
  }
}

/** The code that moves the account to `phoneNumber`, for this account only. */
function recoveryScope(userId: number, phoneNumber: string): CodeScope {
  return { phoneNumber, purpose: 'account_recovery', userId };
}
