import type { BreakerScope, ConversionRules, ConversionStore, SendVerdict } from './conversion.store';
import { slidingCount } from './conversion.store';

interface Window {
  index: number;
  sent: number;
  verified: number;
  previousSent: number;
  previousVerified: number;
}

/**
 * The breaker's counts in this process. Each scope keeps two fixed windows; scopes unseen for two
 * windows are dropped once `maxKeys` is reached, so pumping across many prefixes cannot grow it
 * without bound.
 */
export class MemoryConversionStore implements ConversionStore {
  private readonly windows = new Map<string, Window>();
  private readonly trips = new Map<string, number>();

  constructor(
    private readonly rules: ConversionRules,
    private readonly maxKeys = 100_000,
  ) {}

  trippedFor(keys: string[], now: number): Promise<number> {
    return Promise.resolve(Math.max(0, ...keys.map((key) => this.tripLeft(key, now))));
  }

  recordSend(scopes: BreakerScope[], now: number): Promise<SendVerdict> {
    const retryAfterMs = Math.max(0, ...scopes.map(({ key }) => this.tripLeft(key, now)));
    if (retryAfterMs > 0) return Promise.resolve({ admitted: false, retryAfterMs });
    const tripped: string[] = [];
    for (const { key, minSends } of scopes) {
      const window = this.window(key, now);
      window.sent += 1;
      const sent = slidingCount(window.sent, window.previousSent, now, this.rules.windowMs);
      const verified = slidingCount(window.verified, window.previousVerified, now, this.rules.windowMs);
      if (sent >= minSends && verified < this.rules.minConversion * sent) {
        this.trips.set(key, now + this.rules.cooldownMs);
        this.windows.delete(key);
        tripped.push(key);
      }
    }
    return Promise.resolve({ admitted: true, tripped });
  }

  recordVerified(keys: string[], now: number): Promise<void> {
    for (const key of keys) if (this.tripLeft(key, now) === 0) this.window(key, now).verified += 1;
    return Promise.resolve();
  }

  private tripLeft(key: string, now: number): number {
    const until = this.trips.get(key);
    if (until === undefined) return 0;
    if (until > now) return until - now;
    this.trips.delete(key);
    return 0;
  }

  private window(key: string, now: number): Window {
    const index = Math.floor(now / this.rules.windowMs);
    let window = this.windows.get(key);
    if (!window) {
      if (this.windows.size >= this.maxKeys) this.evict(index);
      window = { index, sent: 0, verified: 0, previousSent: 0, previousVerified: 0 };
      this.windows.set(key, window);
    } else if (window.index !== index) {
      const adjacent = window.index === index - 1;
      Object.assign(window, {
        index,
        previousSent: adjacent ? window.sent : 0,
        previousVerified: adjacent ? window.verified : 0,
        sent: 0,
        verified: 0,
      });
    }
    return window;
  }

  /** Drops ended trips and scopes with nothing in the sliding window, then, if still full, the oldest half. */
  private evict(index: number): void {
    const now = index * this.rules.windowMs;
    for (const [key, until] of this.trips) if (until <= now) this.trips.delete(key);
    for (const [key, window] of this.windows) if (window.index < index - 1) this.windows.delete(key);
    if (this.windows.size < this.maxKeys) return;
    let drop = Math.ceil(this.windows.size / 2);
    for (const key of this.windows.keys()) {
      if (drop-- <= 0) break;
      this.windows.delete(key);
    }
  }
}
