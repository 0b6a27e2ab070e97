import { Injectable, SetMetadata, type ExecutionContext } from '@nestjs/common';
import { ThrottlerGuard, type ThrottlerLimitDetail } from '@nestjs/throttler';
import { ProblemException } from '../common/errors/problem.exception';

/** Named throttlers beyond `default`, each limiting only the routes that opt in. */
export type RouteThrottler = 'otp-send' | 'otp-verify';

const ROUTE_THROTTLER = 'routeThrottler';

/** Opts a route into a tighter per-IP throttler on top of the global one. */
export const RateLimit = (name: RouteThrottler) => SetMetadata(ROUTE_THROTTLER, name);

/** `skipIf` for a named throttler: skip every route that did not opt into it. */
export function unlessRouteUses(name: RouteThrottler): (context: ExecutionContext) => boolean {
  return (context) => Reflect.getMetadata(ROUTE_THROTTLER, context.getHandler()) !== name;
}

/** Answers a tripped limit with a `rate_limited` problem and a plain `Retry-After`. */
@Injectable()
export class ProblemThrottlerGuard extends ThrottlerGuard {
  protected throwThrottlingException(_context: ExecutionContext, detail: ThrottlerLimitDetail): Promise<void> {
    throw new ProblemException('rate_limited', { retryAfter: Math.max(1, detail.timeToBlockExpire) });
  }
}
