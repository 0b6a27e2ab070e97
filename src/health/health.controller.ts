import { Controller, Get, Inject, Optional, ServiceUnavailableException } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '../common/openapi';
import {
  HealthCheck,
  HealthCheckService,
  HealthIndicatorService,
  TypeOrmHealthIndicator,
  type HealthCheckResult,
} from '@nestjs/terminus';
import { SkipThrottle } from '@nestjs/throttler';
import type Redis from 'ioredis';
import { ApiProblems } from '../common/api-problems.decorator';
import { Public } from '../common/auth.decorators';
import { ProblemException } from '../common/errors/problem.exception';
import { REDIS } from '../redis/redis.module';

const DEADLINE_MS = 1_500;

const CHECKS = { type: 'object', additionalProperties: { type: 'object', properties: { status: { type: 'string' } } } };

/** Terminus's own document would describe the unhealthy answer as JSON; it is a 503 problem here. */
const HEALTHY = {
  description: 'Healthy',
  schema: {
    type: 'object',
    required: ['status'],
    properties: { status: { type: 'string', enum: ['ok'] }, info: CHECKS, error: CHECKS, details: CHECKS },
  },
};

@ApiTags('health')
@Public()
// Probes come often and from one address; a 429 would take a healthy instance out of rotation.
@SkipThrottle()
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly indicators: HealthIndicatorService,
    private readonly database: TypeOrmHealthIndicator,
    @Optional() @Inject(REDIS) private readonly redis: Redis | null,
  ) {}

  @Get('live')
  @HealthCheck({ swaggerDocumentation: false })
  @ApiOkResponse(HEALTHY)
  @ApiOperation({ summary: 'The process is up (liveness probe); checks no dependency' })
  live(): Promise<HealthCheckResult> {
    return this.health.check([]);
  }

  @Get('ready')
  @HealthCheck({ swaggerDocumentation: false })
  @ApiOperation({ summary: 'The database and, when configured, Redis answer within 1.5 s (readiness probe)' })
  @ApiOkResponse({ ...HEALTHY, description: 'Ready to serve traffic' })
  @ApiProblems('service_unavailable')
  async ready(): Promise<HealthCheckResult> {
    try {
      return await this.check();
    } catch (error) {
      if (!(error instanceof ServiceUnavailableException)) throw error;
      // A problem like every other 503, naming what is down; the filter logs it as one line
      // (terminus's logger is off, and its exception would be logged with a stack trace).
      const { error: down = {} } = error.getResponse() as HealthCheckResult;
      throw new ProblemException('service_unavailable', {
        detail: `Not ready: ${Object.keys(down).join(' and ')} unavailable.`,
        retryAfter: 5,
        cause: new Error(JSON.stringify(down)),
      });
    }
  }

  private check(): Promise<HealthCheckResult> {
    const redis = this.redis;
    return this.health.check([
      () => this.database.pingCheck('database').withTimeout(DEADLINE_MS),
      ...(redis
        ? [
            () =>
              this.indicators
                .check('redis')
                .attempt(() => redis.ping().then(() => undefined))
                .withTimeout(DEADLINE_MS),
          ]
        : []),
    ]);
  }
}
