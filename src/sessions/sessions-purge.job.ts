import { Inject, Injectable } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { purgeConfig } from '../config';
import { PurgeJob } from '../database/purge.job';
import { SessionsRepository } from './sessions.repository';

@Injectable()
export class SessionsPurgeJob extends PurgeJob {
  protected readonly rows = 'ended sessions';

  constructor(
    @Inject(purgeConfig.KEY) config: ConfigType<typeof purgeConfig>,
    private readonly sessions: SessionsRepository,
  ) {
    super(config);
  }

  protected purge(before: Date): Promise<number> {
    return this.sessions.purge(before);
  }
}
