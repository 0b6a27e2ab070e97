import { Body, Controller, Delete, Headers, HttpCode, HttpStatus, Post } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiHeader,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '../common/openapi';
import {
  ACCEPT_LANGUAGE_HEADER,
  ApiProblems,
  BODY_PROBLEMS,
  CAPTCHA_PROBLEMS,
  PROTECTED_ROUTE_PROBLEMS,
  USER_AGENT_HEADER,
} from '../common/api-problems.decorator';
import { AllowedBeforeMfa, CurrentUser, RequiresRecentAuth } from '../common/auth.decorators';
import { ClientIp } from '../common/client-ip';
import { OtpCodeDto, SendCodeDto, SendOtpResponseDto } from '../otp/dto/code.dto';
import { RateLimit } from '../rate-limit/problem-throttler.guard';
import { RefusedEarlyPer } from '../rate-limit/refused-early';
import type { AuthenticatedUser } from '../users/authenticated-user';
import { AccountDeletionService } from './account-deletion.service';
import { PhoneChangedDto, PhoneChangeDto, PhoneChangeVerifyDto, ReauthenticatedDto } from './dto/account.dto';
import { PhoneChangeService } from './phone-change.service';
import { ReauthenticationService } from './reauthentication.service';

/** Problems every route here can answer, besides its own. */
/** A provider may refuse the number too (the account's own, or the new one). */
const SENDING = [
  'invalid_phone_number',
  'phone_not_allowed',
  'channel_not_enabled',
  'otp_resend_too_soon',
  'sms_delivery_failed',
] as const;
const REDEEMING = ['otp_invalid', 'otp_expired', 'otp_attempts_exceeded'] as const;

@ApiTags('account')
@ApiBearerAuth()
@Controller('api/auth')
export class AccountController {
  constructor(
    private readonly reauthentication: ReauthenticationService,
    private readonly phoneChange: PhoneChangeService,
    private readonly deletion: AccountDeletionService,
  ) {}

  @Post('reauthenticate')
  @HttpCode(HttpStatus.OK)
  @AllowedBeforeMfa()
  @RateLimit('otp-send')
  @ApiOperation({
    summary: "Text a re-authentication code to the caller's number",
    description:
      'Changing the phone number and deleting the account need a sign-in or re-authentication within ' +
      'REAUTH_MAX_AGE on the session; verify this code with `POST /api/auth/reauthenticate/verify/` to renew it.',
  })
  @ApiHeader(ACCEPT_LANGUAGE_HEADER)
  @ApiOkResponse({ type: SendOtpResponseDto, description: 'The code is on its way to the current number' })
  @ApiProblems(...BODY_PROBLEMS, ...SENDING, ...PROTECTED_ROUTE_PROBLEMS)
  reauthenticate(
    @CurrentUser() caller: AuthenticatedUser,
    @Body() body: SendCodeDto,
    @ClientIp() ip: string,
    @Headers('accept-language') acceptLanguage?: string,
  ): Promise<SendOtpResponseDto> {
    return this.reauthentication.sendCode(caller, {
      locale: body.locale,
      acceptLanguage,
      channel: body.channel,
      clientIp: ip,
    });
  }

  @Post('reauthenticate/verify')
  @HttpCode(HttpStatus.OK)
  @AllowedBeforeMfa()
  @RateLimit('otp-verify')
  @ApiOperation({
    summary: 'Redeem a re-authentication code: the session counts as just authenticated',
    description: 'A code texted for another purpose (signing in, a phone change, a deletion) is `otp_invalid` here.',
  })
  @ApiOkResponse({ type: ReauthenticatedDto, description: 'Re-authenticated' })
  @ApiProblems(...BODY_PROBLEMS, ...REDEEMING, ...PROTECTED_ROUTE_PROBLEMS)
  verifyReauthentication(
    @CurrentUser() caller: AuthenticatedUser,
    @Body() body: OtpCodeDto,
    @ClientIp() ip: string,
  ): Promise<ReauthenticatedDto> {
    return this.reauthentication.verify(caller, body.otp_code, ip);
  }

  @Post('phone/change')
  @HttpCode(HttpStatus.OK)
  @RequiresRecentAuth()
  @RateLimit('otp-send')
  @ApiOperation({
    summary: 'Text a code to the number the account should move to',
    description:
      'Needs a recent authentication (REAUTH_MAX_AGE). Answers the same whether or not another account has the ' +
      'number; that is told only after the code proves possession. At most PHONE_CHANGE_DAILY_LIMIT changes a day.',
  })
  @ApiHeader(ACCEPT_LANGUAGE_HEADER)
  @ApiOkResponse({ type: SendOtpResponseDto, description: 'The code is on its way to the new number' })
  @ApiProblems(
    ...BODY_PROBLEMS,
    'reauthentication_required',
    'same_phone_number',
    ...SENDING,
    ...CAPTCHA_PROBLEMS,
    ...PROTECTED_ROUTE_PROBLEMS,
  )
  requestPhoneChange(
    @CurrentUser() caller: AuthenticatedUser,
    @Body() body: PhoneChangeDto,
    @ClientIp() ip: string,
    @Headers('accept-language') acceptLanguage?: string,
  ): Promise<SendOtpResponseDto> {
    return this.phoneChange.request(caller, body.new_phone_number, {
      locale: body.locale,
      acceptLanguage,
      captchaToken: body.captcha_token,
      clientIp: ip,
      channel: body.channel,
    });
  }

  @Post('phone/change/verify')
  @HttpCode(HttpStatus.OK)
  @RateLimit('otp-verify')
  @RefusedEarlyPer('new_phone_number')
  @ApiOperation({
    summary: 'Redeem the code sent to the new number: the account moves to it',
    description:
      'The code works only for the user who asked for it. Ends the sessions PHONE_CHANGE_REVOKE names (by default ' +
      "the caller's others), returns a fresh token pair, and texts the old number that it no longer signs in " +
      '(in `locale`, else Accept-Language). `phone_number_in_use` if another account holds the number.',
  })
  @ApiHeader(ACCEPT_LANGUAGE_HEADER)
  @ApiHeader(USER_AGENT_HEADER)
  @ApiOkResponse({ type: PhoneChangedDto, description: 'The account is on its new number' })
  @ApiProblems(
    ...BODY_PROBLEMS,
    'invalid_phone_number',
    'same_phone_number',
    ...REDEEMING,
    'phone_number_in_use',
    ...PROTECTED_ROUTE_PROBLEMS,
  )
  verifyPhoneChange(
    @CurrentUser() caller: AuthenticatedUser,
    @Body() body: PhoneChangeVerifyDto,
    @ClientIp() ip: string,
    @Headers('user-agent') userAgent?: string,
    @Headers('accept-language') acceptLanguage?: string,
  ): Promise<PhoneChangedDto> {
    return this.phoneChange.verify(
      caller,
      body.new_phone_number,
      body.otp_code,
      { ip, userAgent },
      { locale: body.locale, acceptLanguage },
    );
  }

  @Post('account/deletion')
  @HttpCode(HttpStatus.OK)
  @RequiresRecentAuth()
  @RateLimit('otp-send')
  @ApiOperation({
    summary: "Text an account-deletion code to the caller's number",
    description: 'Needs a recent authentication (REAUTH_MAX_AGE). Redeem it with `DELETE /api/auth/account/`.',
  })
  @ApiHeader(ACCEPT_LANGUAGE_HEADER)
  @ApiOkResponse({ type: SendOtpResponseDto, description: 'The code is on its way to the current number' })
  @ApiProblems(...BODY_PROBLEMS, 'reauthentication_required', ...SENDING, ...PROTECTED_ROUTE_PROBLEMS)
  requestDeletion(
    @CurrentUser() caller: AuthenticatedUser,
    @Body() body: SendCodeDto,
    @ClientIp() ip: string,
    @Headers('accept-language') acceptLanguage?: string,
  ): Promise<SendOtpResponseDto> {
    return this.deletion.sendCode(caller, { locale: body.locale, acceptLanguage, channel: body.channel, clientIp: ip });
  }

  @Delete('account')
  @HttpCode(HttpStatus.NO_CONTENT)
  @RequiresRecentAuth()
  @RateLimit('otp-verify')
  @ApiOperation({
    summary: 'Delete the account with an account-deletion code',
    description:
      'Needs a recent authentication and a code from `POST /api/auth/account/deletion/`. Erases the user, every ' +
      'session and every code at once; every token of the account stops working, and the number can sign up ' +
      'again as a new user.',
  })
  @ApiNoContentResponse({ description: 'Deleted' })
  @ApiProblems(...BODY_PROBLEMS, 'reauthentication_required', ...REDEEMING, ...PROTECTED_ROUTE_PROBLEMS)
  deleteAccount(
    @CurrentUser() caller: AuthenticatedUser,
    @Body() body: OtpCodeDto,
    @ClientIp() ip: string,
  ): Promise<void> {
    return this.deletion.delete(caller, body.otp_code, ip);
  }
}
