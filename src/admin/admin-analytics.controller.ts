import { Controller, Get, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation } from '../common/openapi';
import { ApiProblems } from '../common/api-problems.decorator';
import { AdminAnalyticsService } from './admin-analytics.service';
import { AdminApi } from './admin.decorators';
import { AnalyticsQueryDto } from './dto/analytics-query.dto';
import { AnalyticsDto } from './dto/analytics.dto';

@AdminApi()
@Controller('api/admin/analytics')
export class AdminAnalyticsController {
  constructor(private readonly analytics: AdminAnalyticsService) {}

  @Get()
  @ApiOperation({
    summary: 'Sign-in analytics from the audit trail',
    description:
      'Codes sent, verified, failed and refused, conversion, median verify time, new and returning users and the SMS spend estimate, over a range: in total, per UTC hour or day, and per country.',
  })
  @ApiOkResponse({ type: AnalyticsDto })
  @ApiProblems(
    'validation_failed',
    'unauthorized',
    'not_found',
    'rate_limited',
    'service_unavailable',
    'internal_error',
  )
  report(@Query() query: AnalyticsQueryDto): Promise<AnalyticsDto> {
    return this.analytics.report(query);
  }
}
