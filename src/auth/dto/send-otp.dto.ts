import { IntersectionType } from '@nestjs/swagger';
import { LocaleDto, PhoneNumberDto } from '../../otp/dto/code.dto';

export class SendOtpDto extends IntersectionType(PhoneNumberDto, LocaleDto) {}
