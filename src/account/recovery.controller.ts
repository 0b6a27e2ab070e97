import { Body, Controller, Headers, HttpCode, HttpStatus, Post } from '@nestjs/common';
import { ApiHeader, ApiOkResponse, ApiOperation, ApiTags } from '../common/openapi';
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
import { proofOf } from '../mfa/dto/mfa.dto';
import { SendOtpResponseDto } from '../otp/dto/code.dto';
import { RateLimit } from '../rate-limit/problem-throttler.guard';
import { ScreensNumberIn } from '../fraud/paused-ranges';
import { RefusedEarlyPer } from '../rate-limit/refused-early';
import { AccountRecoveryService } from './account-recovery.service';
import { AccountRecoveryDto, AccountRecoveryVerifyDto, PhoneChangedDto } from './dto/account.dto';

@ApiTags('account')
@Public()
@Controller('api/auth/recovery')
export class RecoveryController {
  constructor(private readonly recovery: AccountRecoveryService) {}

  @Post()
  @HttpCode(HttpStatus.OK)
  @RateLimit('otp-send')
  @ScreensNumberIn('new_phone_number')
  @ApiOperation({
    summary: 'Lost the phone: prove the second factor, and get a code on the new number',
    description:
      'For accounts with an authenticator app. Send the lost `phone_number`, the `new_phone_number` and a code ' +
      'from the app (`totp_code`) or a recovery code (`recovery_code`), which this spends. A wrong proof, an unknown ' +
      'number and an account without a second factor all answer `otp_invalid`. Wrong proofs for one number are ' +
      'capped per day (ACCOUNT_RECOVERY_FAILURE_LIMIT) on this route only; signing in is not affected.',
  })
  @ApiHeader(ACCEPT_LANGUAGE_HEADER)
  @ApiOkResponse({ type: SendOtpResponseDto, description: 'The code is on its way to the new number' })
  @ApiProblems(
    ...BODY_PROBLEMS,
    'invalid_phone_number',
    'phone_not_allowed',
    'same_phone_number',
    'otp_invalid',
    'channel_not_enabled',
    'otp_resend_too_soon',
    ...CAPTCHA_PROBLEMS,
    'sms_delivery_failed',
    ...ANY_ROUTE_PROBLEMS,
  )
  request(
    @Body() body: AccountRecoveryDto,
    @ClientIp() ip: string,
    @Headers('accept-language') acceptLanguage?: string,
  ): Promise<SendOtpResponseDto> {
    return this.recovery.request(
      { phoneNumber: body.phone_number, newPhoneNumber: body.new_phone_number },
      proofOf(body),
      {
        locale: body.locale,
        acceptLanguage,
        captchaToken: body.captcha_token,
        clientIp: ip,
        channel: body.channel,
      },
      ip,
    );
  }

  @Post('verify')
  @HttpCode(HttpStatus.OK)
  @RateLimit('otp-verify')
  @RefusedEarlyPer('new_phone_number')
  @ApiOperation({
    summary: 'Redeem the code sent to the new number: the account moves there and signs in',
    description:
      'Ends every session of the account, returns a new token pair, and texts the old number that it no longer ' +
      'signs in. `phone_number_in_use` if another account holds the new number.',
  })
  @ApiHeader(ACCEPT_LANGUAGE_HEADER)
  @ApiHeader(USER_AGENT_HEADER)
  @ApiOkResponse({ type: PhoneChangedDto, description: 'The account is on its new number, signed in' })
  @ApiProblems(
    ...BODY_PROBLEMS,
    'invalid_phone_number',
    'same_phone_number',
    'otp_invalid',
    'otp_expired',
    'otp_attempts_exceeded',
    'phone_number_in_use',
    'unauthorized',
    ...ANY_ROUTE_PROBLEMS,
  )
  verify(
    @Body() body: AccountRecoveryVerifyDto,
    @ClientIp() ip: string,
    @Headers('user-agent') userAgent?: string,
    @Headers('accept-language') acceptLanguage?: string,
  ): Promise<PhoneChangedDto> {
    return this.recovery.verify(
      { phoneNumber: body.phone_number, newPhoneNumber: body.new_phone_number },
      body.otp_code,
      { ip, userAgent },
      { locale: body.locale, acceptLanguage },
    );
  }
}
