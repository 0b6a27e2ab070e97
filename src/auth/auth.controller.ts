import { Body, Controller, Headers, HttpCode, HttpStatus, Post } from '@nestjs/common';
import {
  ApiExtraModels,
  ApiHeader,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
  getSchemaPath,
} from '../common/openapi';
import {
  ACCEPT_LANGUAGE_HEADER,
  ANY_ROUTE_PROBLEMS,
  ApiProblems,
  BODY_PROBLEMS,
  CAPTCHA_PROBLEMS,
  USER_AGENT_HEADER,
} from '../common/api-problems.decorator';
import { Public } from '../common/auth.decorators';
import { ClientIp } from '../common/client-ip';
import { RateLimit } from '../rate-limit/problem-throttler.guard';
import { ScreensNumberIn } from '../fraud/paused-ranges';
import { RefusedEarlyPer } from '../rate-limit/refused-early';
import type { PublicKeyCredentialRequestOptionsJSON } from '@simplewebauthn/server';
import { MfaChallengeDto, MfaRequiredDto, MfaTokenDto, proofOf } from '../mfa/dto/mfa.dto';
import { MfaChallenges } from '../mfa/mfa-challenges.service';
import { PasskeyCredentialDto, RequestOptionsDto } from '../passkeys/dto/passkey.dto';
import { PasskeyAssertions } from '../passkeys/passkey-assertions.service';
import { AuthService } from './auth.service';
import { LogoutDto, RefreshDto } from './dto/refresh.dto';
import { SendOtpResponseDto } from '../otp/dto/code.dto';
import { SendOtpDto } from './dto/send-otp.dto';
import { TokensDto } from '../sessions/dto/tokens.dto';
import { VerifyOtpDto, VerifyOtpResponseDto } from './dto/verify-otp.dto';
import { SessionsService } from '../sessions/sessions.service';

@ApiTags('auth')
@Public()
@Controller('api/auth')
export class AuthController {
  constructor(
    private readonly auth: AuthService,
    private readonly sessions: SessionsService,
    private readonly challenges: MfaChallenges,
    private readonly passkeys: PasskeyAssertions,
  ) {}

  @Post('send-otp')
  @HttpCode(HttpStatus.OK)
  @RateLimit('otp-send')
  @ScreensNumberIn('phone_number')
  @ApiOperation({
    summary: 'Text a one-time code to a phone number',
    description:
      'Step 1 of signing in. Replaces any earlier code for the number. Answers the same whether or not the number ' +
      'has an account. Limited per phone (OTP_RESEND_COOLDOWN, OTP_PHONE_SEND_LIMIT), per client IP ' +
      '(OTP_IP_SEND_LIMIT), per country and overall (SMS_COUNTRY_BUDGETS, SMS_HOURLY_BUDGET), and screened for SMS ' +
      'pumping: a number range whose codes are rarely entered needs a captcha_token or is paused (FRAUD_ACTION). ' +
      'Numbers in OTP_TEST_NUMBERS get their fixed code and no SMS.',
  })
  @ApiHeader(ACCEPT_LANGUAGE_HEADER)
  @ApiOkResponse({ type: SendOtpResponseDto, description: 'The code is on its way' })
  @ApiProblems(
    ...BODY_PROBLEMS,
    'invalid_phone_number',
    'phone_not_allowed',
    'channel_not_enabled',
    'otp_resend_too_soon',
    ...CAPTCHA_PROBLEMS,
    'sms_delivery_failed',
    ...ANY_ROUTE_PROBLEMS,
  )
  sendOtp(
    @Body() body: SendOtpDto,
    @ClientIp() ip: string,
    @Headers('accept-language') acceptLanguage?: string,
  ): Promise<SendOtpResponseDto> {
    return this.auth.sendOtp(body.phone_number, {
      locale: body.locale,
      acceptLanguage,
      captchaToken: body.captcha_token,
      clientIp: ip,
      channel: body.channel,
    });
  }

  @Post('verify-otp')
  @HttpCode(HttpStatus.OK)
  @RateLimit('otp-verify')
  @RefusedEarlyPer('phone_number')
  @ApiOperation({
    summary: 'Redeem the code: signs the user in (creating the account on first use) and starts a session',
    description:
      'Step 2 of signing in. A code works once and only the newest one per number does; OTP_MAX_ATTEMPTS wrong ' +
      'guesses burn it (`otp_attempts_exceeded`), and `otp_invalid` does not say whether the code was wrong, used ' +
      'or never requested. Send `tokens.access` as `Authorization: Bearer …` and keep `tokens.refresh` for ' +
      '`POST /api/auth/token/refresh/`. For a user with a second factor the answer is `mfa_required` with an ' +
      '`mfa_token` for `POST /api/auth/mfa/challenge/` instead of tokens.',
  })
  @ApiHeader(USER_AGENT_HEADER)
  @ApiExtraModels(VerifyOtpResponseDto, MfaRequiredDto)
  @ApiOkResponse({
    description: 'Signed in, or (the user has a second factor) asked for it',
    schema: { oneOf: [{ $ref: getSchemaPath(VerifyOtpResponseDto) }, { $ref: getSchemaPath(MfaRequiredDto) }] },
  })
  @ApiProblems(
    ...BODY_PROBLEMS,
    'invalid_phone_number',
    'otp_invalid',
    'otp_expired',
    'otp_attempts_exceeded',
    'account_disabled',
    ...ANY_ROUTE_PROBLEMS,
  )
  verifyOtp(
    @Body() body: VerifyOtpDto,
    @ClientIp() ip: string,
    @Headers('user-agent') userAgent?: string,
  ): Promise<VerifyOtpResponseDto | MfaRequiredDto> {
    return this.auth.verifyOtp(body.phone_number, body.otp_code, { ip, userAgent });
  }

  @Post('mfa/challenge')
  @HttpCode(HttpStatus.OK)
  @RateLimit('otp-verify')
  @ApiOperation({
    summary: 'Finish signing in with the second factor',
    description:
      'Send the `mfa_token` from verify-otp with a code from the authenticator app (`totp_code`, each accepted ' +
      'once), a recovery code (`recovery_code`, each works once) or a passkey’s answer (`passkey`, to the options ' +
      'of `POST /api/auth/mfa/challenge/passkey/options/`). The token works once, for MFA_CHALLENGE_TTL, and takes ' +
      'OTP_MAX_ATTEMPTS wrong answers before `mfa_token_invalid` asks for a new sign-in.',
  })
  @ApiHeader(USER_AGENT_HEADER)
  @ApiOkResponse({ type: VerifyOtpResponseDto, description: 'Signed in' })
  @ApiProblems(...BODY_PROBLEMS, 'mfa_token_invalid', 'otp_invalid', 'passkey_rejected', ...ANY_ROUTE_PROBLEMS)
  completeChallenge(
    @Body() body: MfaChallengeDto,
    @ClientIp() ip: string,
    @Headers('user-agent') userAgent?: string,
  ): Promise<VerifyOtpResponseDto> {
    return this.auth.completeChallenge(body.mfa_token, proofOf(body), { ip, userAgent });
  }

  @Post('mfa/challenge/passkey/options')
  @HttpCode(HttpStatus.OK)
  @RateLimit('otp-verify')
  @ApiOperation({
    summary: "Options for answering the second-factor challenge with one of the user's passkeys",
    description: 'For `navigator.credentials.get()`; send its answer as `passkey` to `POST /api/auth/mfa/challenge/`.',
  })
  @ApiOkResponse({ type: RequestOptionsDto, description: 'PublicKeyCredentialRequestOptionsJSON' })
  @ApiProblems(...BODY_PROBLEMS, 'mfa_token_invalid', ...ANY_ROUTE_PROBLEMS)
  passkeyChallengeOptions(@Body() body: MfaTokenDto): Promise<PublicKeyCredentialRequestOptionsJSON> {
    return this.challenges.passkeyOptions(body.mfa_token);
  }

  @Post('passkeys/login/options')
  @HttpCode(HttpStatus.OK)
  @RateLimit('otp-verify')
  @ApiOperation({
    summary: 'Sign in with a passkey, step 1: options for navigator.credentials.get()',
    description:
      'No phone number and no SMS: the authenticator offers the passkeys it holds for WEBAUTHN_RP_ID. The ' +
      'challenge works once, for WEBAUTHN_CHALLENGE_TTL, on any instance.',
  })
  @ApiOkResponse({ type: RequestOptionsDto, description: 'PublicKeyCredentialRequestOptionsJSON' })
  @ApiProblems(...BODY_PROBLEMS, ...ANY_ROUTE_PROBLEMS)
  passkeyLoginOptions(): Promise<PublicKeyCredentialRequestOptionsJSON> {
    return this.passkeys.signInOptions();
  }

  @Post('passkeys/login/verify')
  @HttpCode(HttpStatus.OK)
  @RateLimit('otp-verify')
  @ApiOperation({
    summary: 'Sign in with a passkey, step 2: the answer, for the seed’s success body',
    description:
      'Checks the challenge, origin (WEBAUTHN_ORIGINS), RP ID, user verification, signature and counter. A counter ' +
      'that went back means a cloned authenticator: that passkey is refused from then on. Any failure is ' +
      '`passkey_rejected`. No second factor is asked for: a user-verified passkey is two factors.',
  })
  @ApiHeader(USER_AGENT_HEADER)
  @ApiOkResponse({ type: VerifyOtpResponseDto, description: 'Signed in' })
  @ApiProblems(...BODY_PROBLEMS, 'passkey_rejected', ...ANY_ROUTE_PROBLEMS)
  passkeyLogin(
    @Body() body: PasskeyCredentialDto,
    @ClientIp() ip: string,
    @Headers('user-agent') userAgent?: string,
  ): Promise<VerifyOtpResponseDto> {
    return this.auth.signInWithPasskey(body.response, { ip, userAgent });
  }

  @Post('token/refresh')
  @HttpCode(HttpStatus.OK)
  @ApiOperation({
    summary: 'Trade the refresh token for a new pair',
    description:
      'The refresh token rotates: only the newest one is accepted. Presenting a replaced one revokes the whole ' +
      'session (`refresh_token_reused`), except within REFRESH_REUSE_GRACE of the rotation, when it gets the same new pair.',
  })
  @ApiOkResponse({ type: TokensDto, description: 'The new pair; the refresh token sent is now spent' })
  @ApiProblems(...BODY_PROBLEMS, 'unauthorized', 'refresh_token_reused', ...ANY_ROUTE_PROBLEMS)
  refresh(@Body() body: RefreshDto, @ClientIp() ip: string): Promise<TokensDto> {
    return this.sessions.refresh(body.refresh, ip);
  }

  @Post('logout')
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiOperation({
    summary: "End the refresh token's session, the user's other sessions, or all of them",
    description:
      'Only the newest refresh token of the session (or the one just replaced, within REFRESH_REUSE_GRACE) signs ' +
      'out. A replaced one is a replay: its session is revoked (`refresh_token_reused`) and nothing else is.',
  })
  @ApiNoContentResponse({ description: 'Signed out; the revoked sessions’ access tokens stop working at once' })
  @ApiProblems(...BODY_PROBLEMS, 'unauthorized', 'refresh_token_reused', ...ANY_ROUTE_PROBLEMS)
  logout(@Body() body: LogoutDto, @ClientIp() ip: string): Promise<void> {
    return this.sessions.logout(body.refresh, body.scope ?? 'local', ip);
  }
}
