import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { HttpAdapterHost } from '@nestjs/core';
import { RouteConfig } from '@nestjs/platform-fastify';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { sendProblem } from '../common/errors/problem-details.filter';
import { fraudConfig, otpConfig } from '../config';
import { MetricsService } from '../metrics/metrics.service';

/** The body field holding the number a route texts, for {@link PausedRanges}. */
interface ScreenedRouteConfig {
  screenedNumber?: string;
}

/** The route texts the number in the body's `field`: a paused range is refused before validation. */
export const ScreensNumberIn = (field: string) => RouteConfig({ screenedNumber: field } satisfies ScreenedRouteConfig);

const E164 = /^\+[1-9][0-9]{7,14}$/;
/** Far more prefixes than a breaker trips in a cooldown; beyond it the oldest are forgotten. */
const MAX_PAUSED = 10_000;

/**
 * The prefixes this instance has seen the breaker block, until their trips end. A pumping bot
 * sends to fresh numbers of a paused range from fresh addresses, so refusing it cheaply means
 * answering from here as soon as the body is parsed, before the pipes, guards and number parsing
 * a refusal would otherwise pay for. Only E.164 input is matched; any other spelling takes the
 * long way and meets the same refusal there.
 */
@Injectable()
export class PausedRanges implements OnModuleInit {
  private readonly paused = new Map<string, number>();

  constructor(
    private readonly adapterHost: HttpAdapterHost,
    @Inject(fraudConfig.KEY) private readonly config: ConfigType<typeof fraudConfig>,
    @Inject(otpConfig.KEY) private readonly otp: ConfigType<typeof otpConfig>,
    private readonly metrics: MetricsService,
  ) {}

  pause(prefix: string, until: number): void {
    if (this.config.action !== 'block') return;
    this.paused.delete(prefix);
    if (this.paused.size >= MAX_PAUSED) this.paused.delete(this.paused.keys().next().value!);
    this.paused.set(prefix, until);
  }

  onModuleInit(): void {
    const fastify = this.adapterHost.httpAdapter?.getInstance<FastifyInstance>();
    if (!fastify || this.config.action !== 'block') return;
    fastify.addHook('preValidation', (request, reply, done) => {
      const leftMs = this.pausedFor(request);
      if (!leftMs) return done();
      this.metrics.sendRefused('breaker');
      sendProblem(request, reply, {
        code: 'rate_limited',
        retryAfter: Math.max(1, Math.ceil(leftMs / 1000)),
        detail: PAUSED_DETAIL,
      });
    });
  }

  private pausedFor(request: FastifyRequest): number {
    const field = (request.routeOptions.config as ScreenedRouteConfig | undefined)?.screenedNumber;
    const number = field && (request.body as Record<string, unknown> | undefined)?.[field];
    if (typeof number !== 'string' || !E164.test(number)) return 0;
    if (this.config.safeList.has(number) || this.otp.testNumbers.has(number)) return 0;
    const prefix = number.slice(0, -this.config.prefixDropDigits);
    const until = this.paused.get(prefix);
    if (until === undefined) return 0;
    if (until > Date.now()) return until - Date.now();
    this.paused.delete(prefix);
    return 0;
  }
}

/** What a send to a blocked range answers, early or not. */
export const PAUSED_DETAIL = 'Codes to numbers like this one are paused. Try again later.';
