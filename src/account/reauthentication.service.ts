import { Injectable } from '@nestjs/common';
import { Sql } from '../database/sql';
import type { SendOtpResponseDto } from '../otp/dto/code.dto';
import { OtpSender } from '../otp/otp-sender.service';
import { OtpService, type CodeScope, type SendRequest } from '../otp/otp.service';
import { SessionChanges } from '../sessions/session-changes.service';
import type { AuthenticatedUser } from '../users/authenticated-user';
import type { ReauthenticatedDto } from './dto/account.dto';

/** A signed-in user proves again that they hold their number, for the actions that ask for it. */
@Injectable()
export class ReauthenticationService {
  constructor(
    private readonly sender: OtpSender,
    private readonly otp: OtpService,
    private readonly sessions: SessionChanges,
    private readonly sql: Sql,
  ) {}

  sendCode(caller: AuthenticatedUser, sending: SendRequest): Promise<SendOtpResponseDto> {
    return this.sender.issue(reauthenticationScope(caller), sending);
  }

  /** Spends the code and marks the caller's session as just authenticated, together. */
  async verify(caller: AuthenticatedUser, code: string, client: string): Promise<ReauthenticatedDto> {
    const matched = await this.otp.check(reauthenticationScope(caller), code, client);
    const now = new Date();
    const { otp, sessions } = this;
    const outcome = await this.sql.transaction(function* () {
      if (!(yield* otp.redeem(matched))) return undefined;
      yield* sessions.reauthenticate(caller, now);
      return now;
    });
    await this.otp.redeemed(matched, outcome);
    return { message: 'Re-authenticated', authenticated_at: now.toISOString() };
  }
}

function reauthenticationScope({ user }: AuthenticatedUser): CodeScope {
  return { phoneNumber: user.phoneNumber, purpose: 'reauthenticate', userId: user.id };
}
