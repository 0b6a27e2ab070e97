import { Controller, Get, Header, Headers, Inject } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { ApiBearerAuth, ApiHeader, ApiOkResponse, ApiOperation, ApiTags } from '../common/openapi';
import { SkipThrottle } from '@nestjs/throttler';
import { createHash, timingSafeEqual } from 'node:crypto';
import { ApiProblems } from '../common/api-problems.decorator';
import { Public } from '../common/auth.decorators';
import { ProblemException } from '../common/errors/problem.exception';
import { appConfig } from '../config';
import { MetricsService } from './metrics.service';

@ApiTags('operations')
@Public()
@SkipThrottle()
@Controller('metrics')
export class MetricsController {
  constructor(
    private readonly metrics: MetricsService,
    @Inject(appConfig.KEY) private readonly config: ConfigType<typeof appConfig>,
  ) {}

  @Get()
  @Header('Content-Type', 'text/plain; version=0.0.4; charset=utf-8')
  @ApiBearerAuth()
  @ApiHeader({ name: 'authorization', required: false, description: 'Bearer METRICS_TOKEN, when one is set' })
  @ApiOperation({
    summary: 'Prometheus metrics',
    description:
      'Needs `Authorization: Bearer <METRICS_TOKEN>` when METRICS_TOKEN is set; absent in production without it.',
  })
  @ApiOkResponse({
    description: 'Prometheus text exposition format',
    content: { 'text/plain': { schema: { type: 'string' } } },
  })
  @ApiProblems('unauthorized', 'not_found')
  scrape(@Headers('authorization') authorization?: string): Promise<string> {
    this.authorize(authorization);
    return this.metrics.registry.metrics();
  }

  private authorize(authorization?: string): void {
    const { metricsToken, production } = this.config;
    if (!metricsToken) {
      // Metrics reveal traffic and failure rates: production exposes them only behind a token.
      if (production) throw new ProblemException('not_found');
      return;
    }
    const given = authorization?.startsWith('Bearer ') ? authorization.slice(7) : '';
    if (!sameSecret(given, metricsToken))
      throw new ProblemException('unauthorized', { detail: 'A valid metrics token is required.' });
  }
}

/** Constant-time, over digests so that the lengths do not leak either. */
function sameSecret(given: string, expected: string): boolean {
  const digest = (value: string) => createHash('sha256').update(value).digest();
  return timingSafeEqual(digest(given), digest(expected));
}
