import { Body, Controller, HttpCode, HttpStatus, Post } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiProblems } from '../common/api-problems.decorator';
import { Public } from '../common/auth.decorators';
import { RateLimit } from '../common/throttling';
import { AuthService } from './auth.service';
import { SendOtpDto, SendOtpResponseDto } from './dto/send-otp.dto';
import { VerifyOtpDto, VerifyOtpResponseDto } from './dto/verify-otp.dto';

@ApiTags('auth')
@Public()
@Controller('api/auth')
export class AuthController {
  constructor(private readonly auth: AuthService) {}

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
    'rate_limited',
    'payload_too_large',
    'unsupported_media_type',
    'sms_delivery_failed',
  )
  sendOtp(@Body() body: SendOtpDto): Promise<SendOtpResponseDto> {
    return this.auth.sendOtp(body.phone_number);
  }

  @Post('verify-otp')
  @HttpCode(HttpStatus.OK)
  @RateLimit('otp-verify')
  @ApiOperation({
    summary: 'Redeem the code: signs the user in (creating the account on first use) and returns tokens',
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
  verifyOtp(@Body() body: VerifyOtpDto): Promise<VerifyOtpResponseDto> {
    return this.auth.verifyOtp(body.phone_number, body.otp_code);
  }
}
