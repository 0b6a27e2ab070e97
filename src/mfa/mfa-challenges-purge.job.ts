import { Inject, Injectable } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { purgeConfig } from '../config';
import { PurgeJob } from '../database/purge.job';
import { MfaChallengesRepository } from './mfa-challenges.repository';

@Injectable()
export class MfaChallengesPurgeJob extends PurgeJob {
  protected readonly rows = 'ended second-factor challenges';

  constructor(
    @Inject(purgeConfig.KEY) config: ConfigType<typeof purgeConfig>,
    private readonly challenges: MfaChallengesRepository,
  ) {
    super(config);
  }

  protected purge(before: Date): Promise<number> {
    return this.challenges.purge(before);
  }
}
