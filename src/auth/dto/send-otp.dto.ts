import { IntersectionType } from '../../common/openapi';
import { CaptchaDto, ChannelDto, LocaleDto, PhoneNumberDto } from '../../otp/dto/code.dto';

export class SendOtpDto extends IntersectionType(PhoneNumberDto, LocaleDto, ChannelDto, CaptchaDto) {}
