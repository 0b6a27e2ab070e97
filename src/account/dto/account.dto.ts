import { ApiProperty, IntersectionType } from '../../common/openapi';
import { IsNotEmpty, IsString, MaxLength } from 'class-validator';
import { MfaProofDto } from '../../mfa/dto/mfa.dto';
import { CaptchaDto, ChannelDto, LocaleDto, OtpCodeDto, PhoneNumberDto } from '../../otp/dto/code.dto';
import { TokensDto } from '../../sessions/dto/tokens.dto';
import { UserResponseDto } from '../../users/dto/user-response.dto';

export class NewPhoneNumberDto {
  @ApiProperty({
    example: '+12015550199',
    minLength: 1,
    maxLength: 32,
    description: 'The number to move the account to, in any format send-otp accepts',
  })
  @IsString()
  @IsNotEmpty()
  @MaxLength(32)
  readonly new_phone_number: string;
}

export class PhoneChangeDto extends IntersectionType(NewPhoneNumberDto, LocaleDto, ChannelDto, CaptchaDto) {}

export class PhoneChangeVerifyDto extends IntersectionType(NewPhoneNumberDto, OtpCodeDto, LocaleDto) {}

/** The lost number (`phone_number`), the one to move to, and a second-factor proof. */
export class AccountRecoveryDto extends IntersectionType(
  PhoneNumberDto,
  NewPhoneNumberDto,
  MfaProofDto,
  LocaleDto,
  ChannelDto,
  CaptchaDto,
) {}

export class AccountRecoveryVerifyDto extends IntersectionType(
  PhoneNumberDto,
  NewPhoneNumberDto,
  OtpCodeDto,
  LocaleDto,
) {}

export class ReauthenticatedDto {
  @ApiProperty({ example: 'Re-authenticated' })
  readonly message: string;

  @ApiProperty({
    example: '2026-11-30T12:00:00.000Z',
    format: 'date-time',
    description: 'Sensitive actions are allowed on this session until REAUTH_MAX_AGE after this instant',
  })
  readonly authenticated_at: string;
}

export class PhoneChangedDto {
  @ApiProperty({ example: 'Phone number changed' })
  readonly message: string;

  @ApiProperty({ type: UserResponseDto, description: 'The account, on its new number' })
  readonly user: UserResponseDto;

  @ApiProperty({
    type: TokensDto,
    description: "A fresh pair for the caller's session; the old refresh token is spent",
  })
  readonly tokens: TokensDto;
}
