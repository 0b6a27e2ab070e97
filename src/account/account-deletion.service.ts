import { Injectable } from '@nestjs/common';
import { Sql } from '../database/sql';
import type { SendOtpResponseDto } from '../otp/dto/code.dto';
import { OtpSender } from '../otp/otp-sender.service';
import { OtpService, type CodeScope, type SendRequest } from '../otp/otp.service';
import { SessionChanges } from '../sessions/session-changes.service';
import type { AuthenticatedUser } from '../users/authenticated-user';
import { UsersService } from '../users/users.service';

/**
 * Erases an account: the user, every session and every code, in one transaction, once a code
 * texted for this purpose proves the caller still holds the number. The number is then free to
 * sign up again as a new user.
 */
@Injectable()
export class AccountDeletionService {
  constructor(
    private readonly sender: OtpSender,
    private readonly otp: OtpService,
    private readonly users: UsersService,
    private readonly sessions: SessionChanges,
    private readonly sql: Sql,
  ) {}

  sendCode(caller: AuthenticatedUser, sending: SendRequest): Promise<SendOtpResponseDto> {
    return this.sender.issue(deletionScope(caller), sending);
  }

  async delete(caller: AuthenticatedUser, code: string, client: string): Promise<void> {
    const matched = await this.otp.check(deletionScope(caller), code, client);
    const { id, phoneNumber } = caller.user;
    const { otp, users, sessions } = this;
    const outcome = await this.sql.transaction(function* () {
      if (!(yield* otp.redeem(matched))) return undefined;
      yield* sessions.deleteAllOf(id);
      yield* otp.deleteOfAccount(id, phoneNumber);
      yield* users.delete(id);
      return true;
    });
    await this.otp.redeemed(matched, outcome);
  }
}

function deletionScope({ user }: AuthenticatedUser): CodeScope {
  return { phoneNumber: user.phoneNumber, purpose: 'account_deletion', userId: user.id };
}
