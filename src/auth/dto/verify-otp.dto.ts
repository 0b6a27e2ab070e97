import { ApiProperty } from '@nestjs/swagger';
import { IsString, Matches } from 'class-validator';
import { UserResponseDto } from '../../users/dto/user-response.dto';
import { PhoneNumberDto } from './send-otp.dto';

export class VerifyOtpDto extends PhoneNumberDto {
  @ApiProperty({
    example: '123456',
    description: 'The code from the SMS: exactly OTP_CODE_LENGTH (default 6) ASCII digits',
  })
  @IsString()
  @Matches(/^[0-9]{4,10}$/, { message: 'otp_code must be 4 to 10 digits' })
  readonly otp_code: string;
}

export class TokensDto {
  @ApiProperty({
    example: 'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9…',
    description: 'Access token (JWT, HS256); send as `Authorization: Bearer …`',
  })
  readonly access: string;

  @ApiProperty({ example: 'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9…', description: 'Refresh token (JWT, HS256)' })
  readonly refresh: string;
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
