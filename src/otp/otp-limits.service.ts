import { Inject, Injectable } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { ProblemException } from '../common/errors/problem.exception';
import { phoneRegion } from '../common/phone-number.service';
import { MetricsService } from '../metrics/metrics.service';
import type { LimitRule } from '../rate-limit/rate-limit.store';
import { RateLimitStore, retryAfterSeconds } from '../rate-limit/rate-limit.store';
import { otpConfig } from '../config';
import type { AuditSubject } from '../audit/audit-trail.service';
import { SendRefusals } from './send-refusals.service';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/**
 * Per-phone and service-wide limits on sending and guessing codes (OWASP API4:2023, NIST SP
 * 800-63B §5.2.2). A send is checked and counted in one atomic store operation, so parallel
 * sends cannot slip past a limit together. A guess is checked before and counted after the
 * comparison; parallel wrong guesses can overshoot the per-phone caps by at most what the
 * per-code attempt cap (itself exact) allows.
 */
@Injectable()
export class OtpLimitsService {
  constructor(
    @Inject(RateLimitStore) private readonly store: RateLimitStore,
    @Inject(otpConfig.KEY) private readonly config: ConfigType<typeof otpConfig>,
    private readonly metrics: MetricsService,
    private readonly refusals: SendRefusals,
  ) {}

  /**
   * Counts one send against the resend cooldown, the phone's hourly and daily caps, its
   * country's hourly SMS budget and the service's, or throws without counting anything. Each SMS
   * costs money and toll fraud ("SMS pumping") works by triggering many, so all of these hold
   * before any SMS leaves; the country budgets keep one pumped country from spending everyone's.
   */
  async admitSend(phoneNumber: string, { sendsSms }: { sendsSms: boolean }, subject: AuditSubject): Promise<void> {
    const cooldown = this.cooldownRule(phoneNumber);
    const rules: LimitRule[] = [
      ...(cooldown ? [cooldown] : []),
      ...this.capRules(phoneNumber),
      ...(sendsSms ? this.budgetRules(phoneNumber) : []),
    ];
    const verdict = await this.store.consume(rules);
    if (!verdict.allowed) {
      this.metrics.sendRefused(refusalReason(verdict.rule));
      await this.refusals.record(subject, refusalReason(verdict.rule));
      throw verdict.rule === cooldown
        ? new ProblemException('otp_resend_too_soon', { retryAfter: retryAfterSeconds(verdict) })
        : new ProblemException('rate_limited', {
            detail: 'Too many codes were requested. Try again later.',
            retryAfter: retryAfterSeconds(verdict),
          });
    }
  }

  /**
   * Counts a fallback attempt (the same code on the next channel) against the number's caps and
   * the budgets, like any message sent; the resend cooldown does not apply, it is the same send.
   */
  async admitFallback(phoneNumber: string): Promise<void> {
    const verdict = await this.store.consume([...this.capRules(phoneNumber), ...this.budgetRules(phoneNumber)]);
    if (!verdict.allowed) {
      this.metrics.sendRefused(refusalReason(verdict.rule));
      throw new ProblemException('rate_limited', { retryAfter: retryAfterSeconds(verdict) });
    }
  }

  /** A send whose SMS failed should not make the user wait out the cooldown before retrying. */
  async releaseCooldown(phoneNumber: string): Promise<void> {
    const cooldown = this.cooldownRule(phoneNumber);
    if (cooldown) await this.store.reset([cooldown.key]);
  }

  /**
   * Refuses a guess once this client has had too many wrong ones for the phone, or the phone too
   * many in a row, across all its codes: the per-code cap alone would let a guesser request a
   * fresh code after every few tries. The hourly cap is keyed on the client as well as the
   * number, so a stranger who trips it locks out only themselves (DESIGN §7).
   */
  async admitGuess(phoneNumber: string, client: string): Promise<void> {
    const verdict = await this.store.check(this.failureRules(phoneNumber, client));
    if (!verdict.allowed) {
      throw new ProblemException('rate_limited', {
        detail: 'Too many wrong codes for this number. Try again later.',
        retryAfter: retryAfterSeconds(verdict),
      });
    }
  }

  /**
   * A wrong guess at a live code counts against the client and the number's streak; one that met
   * no live code (none sent, used, replaced, burned or expired) only against the client: it could
   * never have succeeded, so it must not bring the number nearer a lockout, but a client that
   * keeps sending them is refused like any other guesser, and then cheaply (RefusedEarlyPer).
   */
  async recordWrongGuess(phoneNumber: string, client: string, { liveCode }: { liveCode: boolean }): Promise<void> {
    const [perClient, streak] = this.failureRules(phoneNumber, client);
    await Promise.all(
      (liveCode ? [perClient, streak] : [perClient]).map((rule) =>
        this.store.increment(rule.key, rule.windowMs, rule.limit),
      ),
    );
  }

  /** The streak counts consecutive failures, so a success ends it. */
  async recordSuccess(phoneNumber: string): Promise<void> {
    await this.store.reset([this.streakKey(phoneNumber)]);
  }

  private capRules(phoneNumber: string): LimitRule[] {
    return [
      {
        key: `otp:send:hour:${phoneNumber}`,
        limit: this.config.phoneSendLimit,
        windowMs: this.config.phoneSendWindowMs,
      },
      { key: `otp:send:day:${phoneNumber}`, limit: this.config.phoneDailySendLimit, windowMs: DAY },
    ];
  }

  private budgetRules(phoneNumber: string): LimitRule[] {
    const { byCountry, otherwise } = this.config.smsCountryBudgets;
    const region = phoneRegion(phoneNumber);
    return [
      { key: `otp:send:budget:${region}`, limit: byCountry.get(region) ?? otherwise, windowMs: HOUR },
      { key: 'otp:send:budget', limit: this.config.smsHourlyBudget, windowMs: HOUR },
    ];
  }

  private cooldownRule(phoneNumber: string): LimitRule | undefined {
    const windowMs = this.config.resendCooldownMs;
    return windowMs ? { key: `otp:cooldown:${phoneNumber}`, limit: 1, windowMs } : undefined;
  }

  /**
   * The consecutive-failure streak (NIST SP 800-63B §5.2.2) stays per number: it counts only
   * guesses against live codes, so reaching it takes more codes a day than the send caps allow
   * (OTP_PHONE_DAILY_SEND_LIMIT × OTP_MAX_ATTEMPTS is below OTP_MAX_CONSECUTIVE_FAILURES by default).
   */
  private failureRules(phoneNumber: string, client: string): LimitRule[] {
    return [
      {
        key: `otp:fail:${phoneNumber}:${client}`,
        limit: this.config.phoneFailureLimit,
        windowMs: this.config.phoneFailureWindowMs,
      },
      { key: this.streakKey(phoneNumber), limit: this.config.maxConsecutiveFailures, windowMs: DAY },
    ];
  }

  private streakKey(phoneNumber: string): string {
    return `otp:fail-streak:${phoneNumber}`;
  }
}

/** For the metrics and the audit trail: which kind of admitSend's rules refused. */
function refusalReason({ key }: LimitRule): string {
  if (key.startsWith('otp:cooldown:')) return 'cooldown';
  if (key === 'otp:send:budget') return 'sms_budget';
  if (key.startsWith('otp:send:budget:')) return 'country_budget';
  return 'phone_limit';
}
