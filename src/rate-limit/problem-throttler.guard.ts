import { Inject, Injectable, SetMetadata, type ExecutionContext } from '@nestjs/common';
import { normalizeIp, ThrottlerGuard, type ThrottlerLimitDetail } from '@nestjs/throttler';
import type { FastifyRequest } from 'fastify';
import { clientIp } from '../common/client-ip';
import { ProblemException } from '../common/errors/problem.exception';
import { RefusedClients, routeOf } from './refused-clients';

/** Named throttlers beyond `default`, each limiting only the routes that opt in. */
export type RouteThrottler = 'otp-send' | 'otp-verify';

const ROUTE_THROTTLER = 'routeThrottler';

/** Opts a route into a tighter per-IP throttler on top of the global one. */
export const RateLimit = (name: RouteThrottler) => SetMetadata(ROUTE_THROTTLER, name);

/** `skipIf` for a named throttler: skip every route that did not opt into it. */
export function unlessRouteUses(name: RouteThrottler): (context: ExecutionContext) => boolean {
  return (context) => Reflect.getMetadata(ROUTE_THROTTLER, context.getHandler()) !== name;
}

/**
 * Counts per client address (clientIp(): never a forged, arbitrarily long `X-Forwarded-For`; IPv6
 * per /64 as the throttler does) and answers a tripped limit with a `rate_limited` problem and a
 * plain `Retry-After`.
 */
@Injectable()
export class ProblemThrottlerGuard extends ThrottlerGuard {
  protected getTracker(request: Record<string, unknown>): Promise<string> {
    return Promise.resolve(normalizeIp(clientIp(request as unknown as FastifyRequest), this.ipv6SubnetPrefix));
  }

  @Inject(RefusedClients) private readonly refused: RefusedClients;

  protected throwThrottlingException(context: ExecutionContext, detail: ThrottlerLimitDetail): Promise<void> {
    const retryAfter = Math.max(1, detail.timeToBlockExpire);
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    const route = routeOf(request);
    if (route) this.refused.remember({ client: clientIp(request), route }, { retryAfterSeconds: retryAfter });
    throw new ProblemException('rate_limited', { retryAfter });
  }
}
