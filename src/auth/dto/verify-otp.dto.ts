import { ApiProperty } from '@nestjs/swagger';
import { IsString, Matches } from 'class-validator';
import { TokensDto } from '../../sessions/dto/tokens.dto';
import { UserResponseDto } from '../../users/dto/user-response.dto';
import { PhoneNumberDto } from './send-otp.dto';

export class VerifyOtpDto extends PhoneNumberDto {
  @ApiProperty({
    example: '123456',
    pattern: '^[0-9]{4,10}$',
    description: 'The code from the SMS: exactly OTP_CODE_LENGTH (default 6) ASCII digits',
  })
  @IsString()
  @Matches(/^[0-9]{4,10}$/, { message: 'otp_code must be 4 to 10 digits' })
  readonly otp_code: string;
}

export class VerifyOtpResponseDto {
  @ApiProperty({ example: 'Authentication successful' })
  readonly message: string;

  @ApiProperty({ type: UserResponseDto })
  readonly user: UserResponseDto;

  @ApiProperty({ type: TokensDto })
  readonly tokens: TokensDto;

  @ApiProperty({ example: true, description: 'true on the first sign-in of this phone number' })
  readonly is_new_user: boolean;
}
