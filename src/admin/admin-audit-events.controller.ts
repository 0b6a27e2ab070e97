import { Controller, Get, Query, StreamableFile } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProduces } from '../common/openapi';
import { ANY_ROUTE_PROBLEMS, ApiProblems } from '../common/api-problems.decorator';
import { AdminAuditService } from './admin-audit.service';
import { AdminApi } from './admin.decorators';
import { AuditEventListDto } from './dto/audit-event.dto';
import { AuditEventFiltersDto, ListAuditEventsQueryDto } from './dto/audit-events-query.dto';

@AdminApi()
@Controller('api/admin/audit-events')
export class AdminAuditEventsController {
  constructor(private readonly audit: AdminAuditService) {}

  @Get()
  @ApiOperation({ summary: 'Audit events, newest first, filtered and a page at a time (cursor)' })
  @ApiOkResponse({ type: AuditEventListDto })
  @ApiProblems('validation_failed', 'unauthorized', ...ANY_ROUTE_PROBLEMS)
  list(@Query() query: ListAuditEventsQueryDto): Promise<AuditEventListDto> {
    return this.audit.list(query);
  }

  @Get('export')
  @ApiOperation({
    summary: 'Every audit event the filters select as NDJSON, oldest first, streamed',
    description:
      'One JSON object per line, each shaped as an event of the list (`AuditEventDto`). The export ends at the ' +
      'newest event when it started.',
  })
  @ApiProduces('application/x-ndjson')
  @ApiOkResponse({
    description: 'Newline-delimited JSON (`AuditEventDto` per line); empty when no event matches',
    content: {
      'application/x-ndjson': {
        schema: { type: 'string', example: '{"id":1,"created_at":"2026-07-08T12:34:56.789Z","type":"code_sent",…}\n' },
      },
    },
  })
  @ApiProblems('validation_failed', 'unauthorized', ...ANY_ROUTE_PROBLEMS)
  async export(@Query() filters: AuditEventFiltersDto): Promise<StreamableFile> {
    return new StreamableFile(await this.audit.export(filters), {
      type: 'application/x-ndjson; charset=utf-8',
      disposition: 'attachment; filename="audit-events.ndjson"',
    });
  }
}
