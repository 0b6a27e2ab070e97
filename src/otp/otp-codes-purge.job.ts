import { Inject, Injectable } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { deliveryConfig, purgeConfig } from '../config';
import { PurgeJob } from '../database/purge.job';
import { OtpCodesRepository } from './otp-codes.repository';
import { SmsDeliveriesRepository } from './sms-deliveries.repository';

@Injectable()
export class OtpCodesPurgeJob extends PurgeJob {
  protected readonly rows = 'spent codes';

  constructor(
    @Inject(purgeConfig.KEY) config: ConfigType<typeof purgeConfig>,
    private readonly codes: OtpCodesRepository,
    private readonly deliveries: SmsDeliveriesRepository,
    @Inject(deliveryConfig.KEY) private readonly delivery: ConfigType<typeof deliveryConfig>,
  ) {
    super(config);
  }

  /** Codes past their retention (their deliveries go with them), and sealed codes past their fallback window. */
  protected async purge(before: Date): Promise<number> {
    await this.deliveries.forgetCodes(new Date(Date.now() - this.delivery.fallbackWindowMs));
    return this.codes.purge(before);
  }
}
