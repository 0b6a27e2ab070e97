import { IntersectionType } from '@nestjs/swagger';
import { CaptchaDto, ChannelDto, LocaleDto, PhoneNumberDto } from '../../otp/dto/code.dto';

export class SendOtpDto extends IntersectionType(PhoneNumberDto, LocaleDto, ChannelDto, CaptchaDto) {}
