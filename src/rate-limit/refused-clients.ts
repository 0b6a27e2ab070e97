import { Injectable } from '@nestjs/common';

/** More than enough for a flood from many addresses; beyond it the oldest refusals are forgotten. */
const MAX_REFUSALS = 50_000;

/** Which requests a refusal covers: a client on a route, and for limits on a subject, that subject. */
export interface RefusedRequest {
  client: string;
  route: string;
  /** The phone number a subject limit counts for; none for the per-IP throttler. */
  subject?: string;
}

export interface Refusal {
  retryAfterSeconds: number;
  /** The detail the limit answered with, to answer the same. */
  detail?: string;
}

/**
 * Remembers that a limit refused a client on a route, and for how long: per client address and
 * route for the per-IP throttler, and also per subject (the phone number a guess was for) for the
 * limits on a subject. The client's next such requests are then refused as soon as they arrive,
 * before any guard, pipe or handler runs: a refusal costs a small fraction of the work it stands
 * in for. Only refusals that hold until their window ends whatever else happens are remembered,
 * and forgetting one early only sends the client the long way again.
 */
@Injectable()
export class RefusedClients {
  private readonly refusals = new Map<string, { until: number; detail?: string }>();

  remember(request: RefusedRequest, { retryAfterSeconds, detail }: Refusal): void {
    const key = keyOf(request);
    this.refusals.delete(key);
    if (this.refusals.size >= MAX_REFUSALS) this.forgetOldest();
    this.refusals.set(key, { until: Date.now() + retryAfterSeconds * 1000, detail });
  }

  /** The refusal still covering the request, with the seconds left; undefined when it may go through. */
  find(request: RefusedRequest): Refusal | undefined {
    const key = keyOf(request);
    const refusal = this.refusals.get(key);
    if (!refusal) return undefined;
    const left = refusal.until - Date.now();
    if (left > 0) return { retryAfterSeconds: Math.ceil(left / 1000), detail: refusal.detail };
    this.refusals.delete(key);
    return undefined;
  }

  private forgetOldest(): void {
    let drop = Math.ceil(MAX_REFUSALS / 10);
    for (const key of this.refusals.keys()) {
      if (drop-- === 0) break;
      this.refusals.delete(key);
    }
  }
}

function keyOf({ client, route, subject = '' }: RefusedRequest): string {
  return `${client} ${route} ${subject}`;
}

/** A request's route as RefusedClients keys it: the method and the route template. */
export function routeOf(request: { method: string; routeOptions: { url?: string } }): string | undefined {
  return request.routeOptions.url && `${request.method} ${request.routeOptions.url}`;
}
