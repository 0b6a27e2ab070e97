import { ApiProperty, ApiPropertyOptional, IntersectionType } from '../../common/openapi';
import { IsIn, IsNotEmpty, IsOptional, IsString, Matches, MaxLength } from 'class-validator';
import { SMS_LOCALES } from '../../sms/code-message';
import { CHANNELS, type Channel } from '../../sms/sms-sender';

/** The number a code goes to or proves, as the client typed it. */
export class PhoneNumberDto {
  @ApiProperty({
    example: '+12015550123',
    minLength: 1,
    maxLength: 32,
    description:
      'E.164 or any international format (`+1 (201) 555-0123`); national formats when PHONE_DEFAULT_REGION is set',
  })
  @IsString()
  @IsNotEmpty()
  @MaxLength(32)
  readonly phone_number: string;
}

/** The language a code (or notice) is texted in. */
export class LocaleDto {
  @ApiPropertyOptional({
    example: 'es',
    pattern: '^[A-Za-z]{2,3}([-_][A-Za-z0-9]{1,8})*$',
    maxLength: 35,
    description: `Language of the SMS (${SMS_LOCALES.join(', ')}); otherwise Accept-Language decides, then English`,
  })
  @IsOptional()
  @IsString()
  @Matches(/^[A-Za-z]{2,3}([-_][A-Za-z0-9]{1,8})*$/, { message: 'locale must be a language tag such as es or pt-BR' })
  @MaxLength(35)
  readonly locale?: string;
}

/** The channel a code should go out on. */
export class ChannelDto {
  @ApiPropertyOptional({
    enum: CHANNELS,
    example: 'whatsapp',
    description:
      "sms, whatsapp or voice (a call that reads the code); one of OTP_CHANNELS allowed for the number's country. " +
      'Default: the first of those; on failure the code goes once on the next (OTP_FALLBACK)',
  })
  @IsOptional()
  @IsIn(CHANNELS, { message: `channel must be one of ${CHANNELS.join(', ')}` })
  readonly channel?: Channel;
}

/** A request for a code to the account's own number: its language and channel. */
export class SendCodeDto extends IntersectionType(LocaleDto, ChannelDto) {}

/** A captcha's answer, for routes that text a number the caller has not proven. */
export class CaptchaDto {
  @ApiPropertyOptional({
    example: '0.zrSnRHO7h0HwSjSCU8oyzbjEtD8p...',
    maxLength: 4096,
    description:
      'The token of the CAPTCHA_PROVIDER widget (Turnstile, hCaptcha or reCAPTCHA). Needed when CAPTCHA_MODE=always, ' +
      "or when the number's range is under the conversion breaker (CAPTCHA_MODE=on_risk); single use",
  })
  @IsOptional()
  @IsString()
  @MaxLength(4096)
  readonly captcha_token?: string;
}

/** A code from an SMS, for any purpose. */
export class OtpCodeDto {
  @ApiProperty({
    example: '123456',
    pattern: '^[0-9]{4,10}$',
    description: 'The code from the SMS: exactly OTP_CODE_LENGTH (default 6) ASCII digits',
  })
  @IsString()
  @Matches(/^[0-9]{4,10}$/, { message: 'otp_code must be 4 to 10 digits' })
  readonly otp_code: string;
}

/** The answer to every request that texts a code. */
export class SendOtpResponseDto {
  @ApiProperty({ example: 'OTP sent successfully' })
  readonly message: string;

  @ApiProperty({
    example: '+12015550123',
    pattern: '^\\+[1-9][0-9]{1,14}$',
    description: 'The number the code went to, in E.164',
  })
  readonly phone_number: string;

  @ApiProperty({ example: 5, description: 'Code lifetime (OTP_TTL) in minutes; fractional below a minute' })
  readonly expires_in_minutes: number;

  @ApiProperty({ type: 'integer', example: 300, description: 'Code lifetime in seconds' })
  readonly expires_in_seconds: number;

  @ApiProperty({
    enum: CHANNELS,
    example: 'sms',
    description: 'The channel the code went out on: the one asked for, or the first of OTP_CHANNELS, or the fallback',
  })
  readonly channel: Channel;
}

export function codeSent(phoneNumber: string, ttlSeconds: number, channel: Channel): SendOtpResponseDto {
  return {
    message: 'OTP sent successfully',
    phone_number: phoneNumber,
    expires_in_minutes: Number((ttlSeconds / 60).toFixed(2)),
    expires_in_seconds: ttlSeconds,
    channel,
  };
}
