import { ApiProperty, IntersectionType } from '../../common/openapi';
import { OtpCodeDto, PhoneNumberDto } from '../../otp/dto/code.dto';
import { TokensDto } from '../../sessions/dto/tokens.dto';
import { UserResponseDto } from '../../users/dto/user-response.dto';

export class VerifyOtpDto extends IntersectionType(PhoneNumberDto, OtpCodeDto) {}

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
