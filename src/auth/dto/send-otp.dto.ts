import { IntersectionType } from '@nestjs/swagger';
import { CaptchaDto, LocaleDto, PhoneNumberDto } from '../../otp/dto/code.dto';

export class SendOtpDto extends IntersectionType(PhoneNumberDto, LocaleDto, CaptchaDto) {}
