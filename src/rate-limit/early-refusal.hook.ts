import { Injectable, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { clientIp } from '../common/client-ip';
import { sendProblem } from '../common/errors/problem-details.filter';
import { RefusedClients, routeOf, type RefusedRequest } from './refused-clients';
import { refusalSubjectOf } from './refused-early';

/**
 * Refuses a client a limit already refused, while its window lasts, with the same `rate_limited`
 * problem and `Retry-After`: per route as soon as the request arrives (the per-IP throttler),
 * before its body is read; per route and subject once the body is parsed, before any guard, pipe
 * or handler runs (the limits on guessing a number's codes, see RefusedEarlyPer).
 */
@Injectable()
export class EarlyRefusalHook implements OnModuleInit {
  constructor(
    private readonly adapterHost: HttpAdapterHost,
    private readonly refused: RefusedClients,
  ) {}

  onModuleInit(): void {
    // Absent in application contexts without an HTTP server (scripts, some specs).
    const fastify = this.adapterHost.httpAdapter?.getInstance<FastifyInstance>();
    if (!fastify) return;
    fastify.addHook('onRequest', (request, reply, done) => {
      const route = routeOf(request);
      if (!route || !this.refuse({ client: clientIp(request), route }, request, reply)) done();
    });
    fastify.addHook('preValidation', (request, reply, done) => {
      const route = routeOf(request);
      const subject = route && refusalSubjectOf(request);
      if (!route || !subject || !this.refuse({ client: clientIp(request), route, subject }, request, reply)) done();
    });
  }

  /** Whether a remembered refusal covers the request, which it then answers. */
  private refuse(which: RefusedRequest, request: FastifyRequest, reply: FastifyReply): boolean {
    const refusal = this.refused.find(which);
    if (!refusal) return false;
    sendProblem(request, reply, {
      code: 'rate_limited',
      retryAfter: refusal.retryAfterSeconds,
      detail: refusal.detail,
    });
    return true;
  }
}
