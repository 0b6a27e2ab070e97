import { Body, Controller, Headers, HttpCode, HttpStatus, Ip, Post } from '@nestjs/common';
import { ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiProblems } from '../common/api-problems.decorator';
import { Public } from '../common/auth.decorators';
import { RateLimit } from '../common/throttling';
import { AuthService } from './auth.service';
import { LogoutDto, RefreshDto } from './dto/refresh.dto';
import { SendOtpDto, SendOtpResponseDto } from './dto/send-otp.dto';
import { TokensDto, VerifyOtpDto, VerifyOtpResponseDto } from './dto/verify-otp.dto';
import { SessionsService } from './sessions.service';

@ApiTags('auth')
@Public()
@Controller('api/auth')
export class AuthController {
  constructor(
    private readonly auth: AuthService,
    private readonly sessions: SessionsService,
  ) {}

  @Post('send-otp')
  @HttpCode(HttpStatus.OK)
  @RateLimit('otp-send')
  @ApiOperation({
    summary: 'Text a one-time code to a phone number',
    description: 'Replaces any earlier code for the number.',
  })
  @ApiOkResponse({ type: SendOtpResponseDto })
  @ApiProblems(
    'validation_failed',
    'invalid_phone_number',
    'phone_not_allowed',
    'otp_resend_too_soon',
    'rate_limited',
    'payload_too_large',
    'unsupported_media_type',
    'sms_delivery_failed',
  )
  sendOtp(@Body() body: SendOtpDto, @Headers('accept-language') acceptLanguage?: string): Promise<SendOtpResponseDto> {
    return this.auth.sendOtp(body.phone_number, { locale: body.locale, acceptLanguage });
  }

  @Post('verify-otp')
  @HttpCode(HttpStatus.OK)
  @RateLimit('otp-verify')
  @ApiOperation({
    summary: 'Redeem the code: signs the user in (creating the account on first use) and starts a session',
  })
  @ApiOkResponse({ type: VerifyOtpResponseDto })
  @ApiProblems(
    'validation_failed',
    'invalid_phone_number',
    'otp_invalid',
    'otp_expired',
    'otp_attempts_exceeded',
    'rate_limited',
    'payload_too_large',
    'unsupported_media_type',
  )
  verifyOtp(
    @Body() body: VerifyOtpDto,
    @Ip() ip: string,
    @Headers('user-agent') userAgent?: string,
  ): Promise<VerifyOtpResponseDto> {
    return this.auth.verifyOtp(body.phone_number, body.otp_code, { ip, userAgent });
  }

  @Post('token/refresh')
  @HttpCode(HttpStatus.OK)
  @ApiOperation({
    summary: 'Trade the refresh token for a new pair',
    description:
      'The refresh token rotates: only the newest one is accepted. Presenting a replaced one revokes the whole ' +
      'session (`refresh_token_reused`), except within REFRESH_REUSE_GRACE of the rotation, when it gets the same new pair.',
  })
  @ApiOkResponse({ type: TokensDto })
  @ApiProblems('validation_failed', 'unauthorized', 'refresh_token_reused', 'rate_limited')
  refresh(@Body() body: RefreshDto): Promise<TokensDto> {
    return this.sessions.refresh(body.refresh);
  }

  @Post('logout')
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiOperation({ summary: "End the refresh token's session, the user's other sessions, or all of them" })
  @ApiNoContentResponse({ description: 'Signed out; the revoked sessions’ access tokens stop working at once' })
  @ApiProblems('validation_failed', 'unauthorized', 'rate_limited')
  logout(@Body() body: LogoutDto): Promise<void> {
    return this.sessions.logout(body.refresh, body.scope ?? 'local');
  }
}
