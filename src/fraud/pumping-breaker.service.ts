import { Inject, Injectable, Logger } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { ProblemException } from '../common/errors/problem.exception';
import { phoneRegion } from '../common/phone-number.service';
import { fraudConfig } from '../config';
import { MetricsService } from '../metrics/metrics.service';
import { ConversionStore, type BreakerScope } from './conversion.store';
import { PAUSED_DETAIL, PausedRanges } from './paused-ranges';

/** What a send to a number must pass: nothing more, or a captcha. A blocked send throws. */
export type Risk = 'none' | 'challenge';

/**
 * The conversion breaker. Pumped codes go to numbers that someone is paid to receive SMS on and
 * are never entered, so a number prefix (or a whole country) whose codes stop being verified
 * trips for FRAUD_COOLDOWN: its sends then need a captcha or are refused (FRAUD_ACTION). The
 * numbers of SMS_SAFE_LIST are neither counted nor held back.
 */
@Injectable()
export class PumpingBreaker {
  private readonly logger = new Logger(PumpingBreaker.name);

  constructor(
    @Inject(ConversionStore) private readonly store: ConversionStore,
    @Inject(fraudConfig.KEY) private readonly config: ConfigType<typeof fraudConfig>,
    private readonly metrics: MetricsService,
    private readonly paused: PausedRanges,
  ) {}

  /**
   * The risk of texting this number now. A block answers like the other send limits, with when to
   * try again, and depends on the number's range only, never on whether it has an account.
   */
  async screen(phoneNumber: string): Promise<Risk> {
    if (!this.watches(phoneNumber)) return 'none';
    const keys = this.scopes(phoneNumber, phoneRegion(phoneNumber)).map((scope) => scope.key);
    const leftMs = await this.store.trippedFor(keys, Date.now());
    if (!leftMs) return 'none';
    if (this.config.action === 'challenge') return 'challenge';
    throw this.blocked(phoneNumber, leftMs);
  }

  /**
   * Counts the send, which is the gate: screen() only read the state, and a trip may have happened
   * since, on this instance or another. A send the trip now holds back is refused, unless it passed
   * the captcha the trip asks for.
   */
  async recordSend(phoneNumber: string, { captchaPassed }: { captchaPassed: boolean }): Promise<void> {
    if (!this.watches(phoneNumber)) return;
    const region = phoneRegion(phoneNumber);
    const verdict = await this.store.recordSend(this.scopes(phoneNumber, region), Date.now());
    if (!verdict.admitted) {
      if (this.config.action === 'block') throw this.blocked(phoneNumber, verdict.retryAfterMs);
      if (!captchaPassed) throw new ProblemException('captcha_required');
      return;
    }
    this.metrics.screenedSend(region);
    for (const key of verdict.tripped) {
      const [scope, value] = key.split(':');
      if (scope === 'prefix') this.paused.pause(value, Date.now() + this.config.cooldownMs);
      this.metrics.breakerTripped(scope, this.config.action);
      this.logger.warn(
        `Conversion breaker tripped for ${scope} ${value}: fewer than ${this.config.minConversion * 100}% of its codes were verified; ${this.config.action} for ${this.config.cooldownMs / 1000}s`,
      );
    }
  }

  /** After the code was redeemed: a failure here must not undo a sign-in that already happened. */
  async recordVerified(phoneNumber: string): Promise<void> {
    if (!this.watches(phoneNumber)) return;
    const region = phoneRegion(phoneNumber);
    this.metrics.screenedVerification(region);
    const keys = this.scopes(phoneNumber, region).map((scope) => scope.key);
    await this.store.recordVerified(keys, Date.now()).catch((error: unknown) => {
      this.logger.warn(`Could not count a verified code for the conversion breaker: ${String(error)}`);
    });
  }

  private blocked(phoneNumber: string, leftMs: number): ProblemException {
    this.paused.pause(this.prefixOf(phoneNumber), Date.now() + leftMs);
    this.metrics.sendRefused('breaker');
    return new ProblemException('rate_limited', {
      detail: PAUSED_DETAIL,
      retryAfter: Math.max(1, Math.ceil(leftMs / 1000)),
    });
  }

  private watches(phoneNumber: string): boolean {
    return this.config.action !== 'off' && !this.config.safeList.has(phoneNumber);
  }

  /** The prefix is a range of numbers, not a number: it may be logged. */
  private scopes(phoneNumber: string, region: string): BreakerScope[] {
    return [
      { key: `country:${region}`, minSends: this.config.countryMinSends },
      { key: `prefix:${this.prefixOf(phoneNumber)}`, minSends: this.config.minSends },
    ];
  }

  private prefixOf(phoneNumber: string): string {
    return phoneNumber.slice(0, -this.config.prefixDropDigits);
  }
}
