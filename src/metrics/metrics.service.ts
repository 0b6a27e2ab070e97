import { Injectable } from '@nestjs/common';
import { collectDefaultMetrics, Counter, Histogram, Registry } from 'prom-client';

export type VerificationResult =
  'success' | 'otp_invalid' | 'otp_expired' | 'otp_attempts_exceeded' | 'rate_limited' | 'error';

/**
 * Prometheus metrics: HTTP latency by route and status, and the sign-in funnel (codes sent,
 * verified, failed by reason; SMS provider latency and failures; sign-ups vs sign-ins). One
 * registry per application instance, so nothing is shared between apps in one process.
 */
@Injectable()
export class MetricsService {
  readonly registry = new Registry();

  private readonly httpDuration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request duration by method, route template and status',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [this.registry],
  });

  private readonly codesSent = new Counter({
    name: 'otp_codes_sent_total',
    help: 'One-time codes issued (test numbers included, no SMS for them)',
    registers: [this.registry],
  });

  private readonly verifications = new Counter({
    name: 'otp_verifications_total',
    help: 'verify-otp outcomes by result',
    labelNames: ['result'] as const,
    registers: [this.registry],
  });

  private readonly smsDuration = new Histogram({
    name: 'sms_provider_duration_seconds',
    help: 'SMS provider call duration by outcome',
    labelNames: ['outcome'] as const,
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });

  private readonly smsFailures = new Counter({
    name: 'sms_provider_failures_total',
    help: 'SMS provider failures by reason',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });

  private readonly signIns = new Counter({
    name: 'sign_ins_total',
    help: 'Successful sign-ins, split into new users (sign-ups) and returning users',
    labelNames: ['kind'] as const,
    registers: [this.registry],
  });

  private readonly sendRefusals = new Counter({
    name: 'otp_send_refusals_total',
    help: 'Code sends refused before any SMS, by reason (limits, budgets, breaker, captcha)',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });

  private readonly screenedSends = new Counter({
    name: 'otp_screened_sends_total',
    help: 'Codes texted to numbers not yet proven (sign-in, phone change, recovery), by country; the conversion breaker counts these',
    labelNames: ['country'] as const,
    registers: [this.registry],
  });

  private readonly screenedVerifications = new Counter({
    name: 'otp_screened_verifications_total',
    help: 'Those codes verified, by country; conversion = rate of this ÷ rate of otp_screened_sends_total',
    labelNames: ['country'] as const,
    registers: [this.registry],
  });

  private readonly breakerTrips = new Counter({
    name: 'otp_breaker_trips_total',
    help: 'Conversion breaker trips by scope (prefix or country) and action (challenge or block)',
    labelNames: ['scope', 'action'] as const,
    registers: [this.registry],
  });

  private readonly deliveries = new Counter({
    name: 'otp_delivery_total',
    help: 'Code deliveries by channel, status (sent or failed when handed to the provider) and country',
    labelNames: ['channel', 'status', 'country'] as const,
    registers: [this.registry],
  });

  private readonly deliveryDuration = new Histogram({
    name: 'otp_delivery_seconds',
    help: 'Time from handing a code to the provider to its delivered receipt, by channel',
    labelNames: ['channel'] as const,
    buckets: [1, 2.5, 5, 10, 20, 30, 60, 120, 300],
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry });
  }

  httpRequest(method: string, route: string, status: number, seconds: number): void {
    this.httpDuration.observe({ method, route, status: String(status) }, seconds);
  }

  codeSent(): void {
    this.codesSent.inc();
  }

  verification(result: VerificationResult): void {
    this.verifications.inc({ result });
  }

  smsCall(seconds: number, failure?: string): void {
    this.smsDuration.observe({ outcome: failure ? 'failure' : 'ok' }, seconds);
    if (failure) this.smsFailures.inc({ reason: failure });
  }

  delivery(channel: string, status: string, country: string): void {
    this.deliveries.inc({ channel, status, country });
  }

  deliverySeconds(channel: string, seconds: number): void {
    this.deliveryDuration.observe({ channel }, seconds);
  }

  sendRefused(reason: string): void {
    this.sendRefusals.inc({ reason });
  }

  screenedSend(country: string): void {
    this.screenedSends.inc({ country });
  }

  screenedVerification(country: string): void {
    this.screenedVerifications.inc({ country });
  }

  breakerTripped(scope: string, action: string): void {
    this.breakerTrips.inc({ scope, action });
  }

  signIn(isNewUser: boolean): void {
    this.signIns.inc({ kind: isNewUser ? 'new_user' : 'returning' });
  }
}
