import { ApiProperty, IntersectionType } from '@nestjs/swagger';
import { IsNotEmpty, IsString, MaxLength } from 'class-validator';
import { LocaleDto } from '../../otp/dto/code.dto';

/** The field send-otp and verify-otp share. */
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

export class SendOtpDto extends IntersectionType(PhoneNumberDto, LocaleDto) {}
