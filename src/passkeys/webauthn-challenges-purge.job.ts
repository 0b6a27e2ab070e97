import { Inject, Injectable } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { purgeConfig } from '../config';
import { PurgeJob } from '../database/purge.job';
import { WebAuthnChallengesRepository } from './webauthn-challenges.repository';

@Injectable()
export class WebAuthnChallengesPurgeJob extends PurgeJob {
  protected readonly rows = 'ended passkey ceremonies';

  constructor(
    @Inject(purgeConfig.KEY) config: ConfigType<typeof purgeConfig>,
    private readonly challenges: WebAuthnChallengesRepository,
  ) {
    super(config);
  }

  protected purge(before: Date): Promise<number> {
    return this.challenges.purge(before);
  }
}
