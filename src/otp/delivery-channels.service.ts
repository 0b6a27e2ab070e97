import { Inject, Injectable } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { ProblemException } from '../common/errors/problem.exception';
import { phoneRegion } from '../common/phone-number.service';
import { deliveryConfig, EnvError, smsConfig } from '../config';
import { SmsSender, type Channel } from '../sms/sms-sender';

/** Which channels a code is tried on (OTP_CHANNELS, OTP_*_COUNTRIES), checked against the provider at boot. */
@Injectable()
export class DeliveryChannels {
  constructor(
    @Inject(deliveryConfig.KEY) private readonly delivery: ConfigType<typeof deliveryConfig>,
    @Inject(SmsSender) sender: SmsSender,
    @Inject(smsConfig.KEY) sms: ConfigType<typeof smsConfig>,
  ) {
    const unsupported = delivery.channels.find((channel) => !sender.channels.includes(channel));
    if (unsupported) {
      throw new EnvError(
        'OTP_CHANNELS',
        `SMS_PROVIDER=${sms.provider} cannot deliver codes on ${unsupported} as configured (it can on ${sender.channels.join(', ')})`,
      );
    }
  }

  /**
   * The channels a code to this number is tried on, in order: the one asked for, else those of
   * OTP_CHANNELS that may reach the number's country; the next one is the fallback.
   */
  plan(to: string, requested: Channel | undefined): Channel[] {
    const region = phoneRegion(to);
    const open = this.delivery.channels.filter((channel) => this.delivery.countries.get(channel)?.has(region) ?? true);
    if (requested ? !open.includes(requested) : !open.length) {
      throw new ProblemException('channel_not_enabled', {
        detail: requested
          ? `Codes are not sent by ${requested} to this number.`
          : 'No channel is enabled for numbers of this country.',
        errors: requested ? [{ field: 'channel', message: `channel must be one of ${open.join(', ')}` }] : undefined,
      });
    }
    return requested ? [requested, ...open.filter((channel) => channel !== requested)] : open;
  }
}
