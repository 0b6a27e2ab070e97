import {
  applyDecorators,
  Injectable,
  UseInterceptors,
  type CallHandler,
  type ExecutionContext,
  type NestInterceptor,
} from '@nestjs/common';
import { RouteConfig } from '@nestjs/platform-fastify';
import type { FastifyRequest } from 'fastify';
import { catchError, type Observable } from 'rxjs';
import { clientIp } from '../common/client-ip';
import { ProblemException } from '../common/errors/problem.exception';
import { RefusedClients, routeOf } from './refused-clients';

/** The body field whose value the route's subject limits count per (see {@link RefusedEarlyPer}). */
export interface RefusalRouteConfig {
  refusalSubject?: string;
}

/** The subject a request names in `field` of its body, if it is a short string. */
export function refusalSubjectOf(request: FastifyRequest): string | undefined {
  const field = (request.routeOptions.config as RefusalRouteConfig | undefined)?.refusalSubject;
  const value = field && (request.body as Record<string, unknown> | undefined)?.[field];
  return typeof value === 'string' && value.length <= 64 ? value : undefined;
}

/**
 * Remembers the route's `rate_limited` refusals per client and subject, for EarlyRefusalHook. Only
 * for routes whose `rate_limited` answers all hold until their Retry-After (the guessing limits
 * do: they only count up, and nothing that could reset them gets past them).
 */
@Injectable()
class RememberRefusals implements NestInterceptor {
  constructor(private readonly refused: RefusedClients) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    return next.handle().pipe(
      catchError((error: unknown) => {
        const request = context.switchToHttp().getRequest<FastifyRequest>();
        const route = routeOf(request);
        const subject = refusalSubjectOf(request);
        if (route && subject && error instanceof ProblemException && error.code === 'rate_limited') {
          const { retryAfter, detail } = error.problem;
          if (retryAfter)
            this.refused.remember(
              { client: clientIp(request), route, subject },
              { retryAfterSeconds: retryAfter, detail },
            );
        }
        throw error;
      }),
    );
  }
}

/**
 * The route's limits count per the body's `field` (a phone number): once one refuses a client for
 * a subject, the client's next requests for it are refused on arrival until the window ends.
 */
export const RefusedEarlyPer = (field: string) =>
  applyDecorators(
    RouteConfig({ refusalSubject: field } satisfies RefusalRouteConfig),
    UseInterceptors(RememberRefusals),
  );
