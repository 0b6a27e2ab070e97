import { Inject, Injectable } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { adminConfig, purgeConfig } from '../config';
import { PurgeJob } from '../database/purge.job';
import { AuditEventsRepository } from './audit-events.repository';

/** Events older than AUDIT_RETENTION, every PURGE_INTERVAL. */
@Injectable()
export class AuditEventsPurgeJob extends PurgeJob {
  protected readonly rows = 'audit events';

  constructor(
    @Inject(purgeConfig.KEY) config: ConfigType<typeof purgeConfig>,
    @Inject(adminConfig.KEY) admin: ConfigType<typeof adminConfig>,
    private readonly events: AuditEventsRepository,
  ) {
    super({ ...config, retentionMs: admin.auditRetentionMs });
  }

  protected purge(before: Date): Promise<number> {
    return this.events.purge(before);
  }
}
