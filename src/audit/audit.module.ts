import { Global, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AuditEvent } from './audit-event.entity';
import { AuditEventsPurgeJob } from './audit-events-purge.job';
import { AuditEventsRepository } from './audit-events.repository';
import { AuditTrail } from './audit-trail.service';

/** Global, as metrics is: every feature records its actions in the one trail. */
@Global()
@Module({
  imports: [TypeOrmModule.forFeature([AuditEvent])],
  providers: [AuditEventsRepository, AuditTrail, AuditEventsPurgeJob],
  exports: [AuditTrail, AuditEventsRepository],
})
export class AuditModule {}
