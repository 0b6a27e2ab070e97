import { ApiProperty } from '@nestjs/swagger';
import { IsNotEmpty, IsString, MaxLength } from 'class-validator';

export class SendOtpDto {
  @ApiProperty({
    example: '+12015550123',
    maxLength: 32,
    description:
      'E.164 or any international format (`+1 (201) 555-0123`); national formats when PHONE_DEFAULT_REGION is set',
  })
  @IsString()
  @IsNotEmpty()
  @MaxLength(32)
  readonly phone_number: string;
}

export class SendOtpResponseDto {
  @ApiProperty({ example: 'OTP sent successfully' })
  readonly message: string;

  @ApiProperty({ example: '+12015550123', description: 'The number the code went to, in E.164' })
  readonly phone_number: string;

  @ApiProperty({ example: 5 })
  readonly expires_in_minutes: number;

  @ApiProperty({ example: 300 })
  readonly expires_in_seconds: number;
}
