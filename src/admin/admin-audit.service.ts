import { Injectable } from '@nestjs/common';
import { Readable } from 'node:stream';
import type { AuditEvent } from '../audit/audit-event.entity';
import { AuditEventsRepository, type AuditEventSearch } from '../audit/audit-events.repository';
import { AuditTrail } from '../audit/audit-trail.service';
import { nextCursor } from './cursor';
import { toAuditEventDto, type AuditEventListDto } from './dto/audit-event.dto';
import type { AuditEventFiltersDto, ListAuditEventsQueryDto } from './dto/audit-events-query.dto';
import { DEFAULT_PAGE } from './dto/page-query.dto';

/** Rows an export reads at a time: memory stays flat however many events match. */
export const EXPORT_BATCH = 500;

/** The audit trail as admins read it: pages newest first, and an NDJSON export oldest first. */
@Injectable()
export class AdminAuditService {
  constructor(
    private readonly events: AuditEventsRepository,
    private readonly trail: AuditTrail,
  ) {}

  async list(query: ListAuditEventsQueryDto): Promise<AuditEventListDto> {
    const limit = query.limit ?? DEFAULT_PAGE;
    const rows = await this.events.search(this.searchOf(query), {
      order: 'newest',
      beforeId: query.cursor,
      limit: limit + 1,
    });
    const { page, next } = nextCursor(rows, limit);
    return { events: page.map(toAuditEventDto), next_cursor: next };
  }

  /**
   * One JSON event per line, oldest first, read in batches as the client takes them. It ends at
   * the newest event when it started, so a busy service cannot keep it running; the first batch is
   * read before answering, so an unreachable database is still a 503 and not a cut-off 200.
   */
  async export(filters: AuditEventFiltersDto): Promise<Readable> {
    const search = this.searchOf(filters);
    const throughId = await this.events.lastId();
    const first = await this.batch(search, 0, throughId);
    return Readable.from(this.lines(search, throughId, first), { objectMode: false });
  }

  private async *lines(search: AuditEventSearch, throughId: number, first: AuditEvent[]): AsyncGenerator<string> {
    let batch = first;
    while (batch.length) {
      yield batch.map((event) => `${JSON.stringify(toAuditEventDto(event))}\n`).join('');
      if (batch.length < EXPORT_BATCH) return;
      batch = await this.batch(search, batch[batch.length - 1].id, throughId);
    }
  }

  private batch(search: AuditEventSearch, afterId: number, throughId: number): Promise<AuditEvent[]> {
    return this.events.search(search, { order: 'oldest', afterId, throughId, limit: EXPORT_BATCH });
  }

  private searchOf(filters: AuditEventFiltersDto): AuditEventSearch {
    return {
      types: filters.type && [...new Set(filters.type)],
      userId: filters.user_id,
      phoneHash: filters.phone === undefined ? undefined : this.trail.phoneHash(filters.phone),
      after: filters.after,
      before: filters.before,
    };
  }
}
