import { Inject, Injectable } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { purgeConfig } from '../config';
import { PurgeJob } from '../database/purge.job';
import { OtpCodesRepository } from './otp-codes.repository';

@Injectable()
export class OtpCodesPurgeJob extends PurgeJob {
  protected readonly rows = 'spent codes';

  constructor(
    @Inject(purgeConfig.KEY) config: ConfigType<typeof purgeConfig>,
    private readonly codes: OtpCodesRepository,
  ) {
    super(config);
  }

  protected purge(before: Date): Promise<number> {
    return this.codes.purge(before);
  }
}
