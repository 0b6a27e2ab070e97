import { Inject, Injectable } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { ProblemException } from '../common/errors/problem.exception';
import { PhoneNumberService } from '../common/phone-number.service';
import { mfaConfig } from '../config';
import { Sql } from '../database/sql';
import { MetricsService } from '../metrics/metrics.service';
import type { MfaRequiredDto } from '../mfa/dto/mfa.dto';
import { MfaChallenges } from '../mfa/mfa-challenges.service';
import { SecondFactors, type Proof } from '../mfa/second-factors.service';
import { OtpSender } from '../otp/otp-sender.service';
import { SendRefusals } from '../otp/send-refusals.service';
import { SessionChanges } from '../sessions/session-changes.service';
import { PasskeyAssertions } from '../passkeys/passkey-assertions.service';
import { OtpService, signInScope, type SendRequest } from '../otp/otp.service';
import type { Generation } from '../sessions/token.service';
import { toUserResponse } from '../users/dto/user-response.dto';
import { isUsable, type User } from '../users/user.entity';
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
    private readonly challenges: MfaChallenges,
    private readonly factors: SecondFactors,
    private readonly passkeys: PasskeyAssertions,
    private readonly metrics: MetricsService,
    private readonly refusals: SendRefusals,
    private readonly signIns: SessionChanges,
    private readonly sql: Sql,
    @Inject(mfaConfig.KEY) private readonly mfa: ConfigType<typeof mfaConfig>,
  ) {}

  /** Answers alike whether or not the number has an account, so the reply reveals nothing. */
  async sendOtp(rawPhoneNumber: string, sending: SendRequest): Promise<SendOtpResponseDto> {
    const subject = { purpose: 'sign_in', channel: sending.channel, ip: sending.clientIp };
    const phoneNumber = await this.refusals.sendableNumber(rawPhoneNumber, subject);
    return this.sender.issue(signInScope(phoneNumber), sending);
  }

  /**
   * Signs in with the code. Spending it, finding or creating the user, opening the session and
   * recording the sign-in commit together, so a failure half-way leaves the code usable for the
   * retry and nothing else behind; of parallel requests with one code, one spends it and the
   * others write nothing. A user with a second factor gets a challenge instead of a session.
   */
  async verifyOtp(
    rawPhoneNumber: string,
    code: string,
    client: ClientInfo,
  ): Promise<VerifyOtpResponseDto | MfaRequiredDto> {
    const phoneNumber = this.phones.normalize(rawPhoneNumber);
    const matched = await this.otp.check(signInScope(phoneNumber), code, client.ip ?? 'unknown');
    const { otp, users, sessions, challenges, signIns } = this;
    // Without a factor yet, MFA_POLICY=required lets the session do nothing but enrol one.
    const scope = this.mfa.policy === 'required' ? 'mfa_enrolment' : 'full';
    const outcome = await this.sql.transaction(function* () {
      if (!(yield* otp.consume(matched))) return undefined;
      const { user, isNewUser } = yield* users.findOrCreate(phoneNumber);
      // The code proved possession of the number, so it stays spent; a deactivated or banned account gets no session.
      const usable = isUsable(user, new Date());
      const mfaToken = usable ? yield* challenges.open(user) : undefined;
      if (!usable || mfaToken) {
        yield* otp.verified(matched, user.id);
        return { user, isNewUser, mfaToken };
      }
      const session = yield* sessions.open(user.id, client, scope);
      yield* users.recordSignIn(user);
      const verified = otp.verification(matched, user.id);
      yield* signIns.signedIn(user, session, client, 'otp', { isNewUser, before: [verified] });
      return { user, isNewUser, session };
    });
    const signIn = await this.otp.redeemed(matched, outcome);
    if (signIn.mfaToken) return this.challenges.required(signIn.mfaToken, signIn.user.id);
    if (!signIn.session) throw new ProblemException('account_disabled');
    return this.signedIn(signIn.user, signIn.session, signIn.isNewUser);
  }

  /**
   * Completes a sign-in that met a second-factor challenge. The token's attempt is counted
   * first; the proof is checked, then spending the token, spending the proof, recording the
   * sign-in and opening the session commit together: a replayed TOTP code or a recovery code
   * spent by a parallel request rolls it all back.
   */
  async completeChallenge(token: string, proof: Proof, client: ClientInfo): Promise<VerifyOtpResponseDto> {
    const challenge = await this.challenges.admit(token);
    const account = { id: challenge.userId, phoneNumber: challenge.phoneNumber };
    const checked = await this.factors.check(account, proof, client.ip ?? 'unknown', { provenNumber: true });
    const { challenges, factors, users, sessions, signIns } = this;
    const outcome = await this.sql.transaction(function* () {
      if (!(yield* challenges.consume(challenge))) return undefined;
      yield* factors.spend(checked);
      const user = yield* users.recordSignIn(account);
      // Deactivated, or moved to another number, since the SMS code was verified: spend nothing.
      if (!user) throw new ProblemException('mfa_token_invalid');
      const session = yield* sessions.open(user.id, client);
      yield* signIns.signedIn(user, session, client, 'mfa');
      return { user, session };
    });
    if (!outcome) throw new ProblemException('mfa_token_invalid');
    return this.signedIn(outcome.user, outcome.session, false);
  }

  /**
   * Signs in with a passkey: the assertion is checked, then recording its use (its counter),
   * the sign-in and the session commit together. A user-verified passkey is two factors in one,
   * so no second factor is asked for.
   */
  async signInWithPasskey(response: Record<string, unknown>, client: ClientInfo): Promise<VerifyOtpResponseDto> {
    const checked = await this.passkeys.check(response, 'sign_in');
    const { passkeys, users, sessions, signIns } = this;
    const { user, session } = await this.sql.transaction(function* () {
      yield* passkeys.spend(checked);
      const signedIn = yield* users.recordSignIn({ id: checked.userId, phoneNumber: checked.phoneNumber });
      if (!signedIn) throw new ProblemException('passkey_rejected');
      const opened = yield* sessions.open(signedIn.id, client);
      yield* signIns.signedIn(signedIn, opened, client, 'passkey');
      return { user: signedIn, session: opened };
    });
    return this.signedIn(user, session, false);
  }

  private signedIn(user: User, session: Generation, isNewUser: boolean): VerifyOtpResponseDto {
    const tokens = this.sessions.tokensFor(session);
    this.metrics.signIn(isNewUser);
    return { message: 'Authentication successful', user: toUserResponse(user), tokens, is_new_user: isNewUser };
  }
}
