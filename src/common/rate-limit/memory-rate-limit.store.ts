import { Logger } from '@nestjs/common';
import type { LimitRule, LimitVerdict, RateLimitStore, WindowCount } from './rate-limit.store';

interface Window {
  count: number;
  resetAt: number;
}

const SWEEP_EVERY = 10_000;

/** How often, in forgotten counters, the store repeats its warning that it is full. */
const WARN_EVERY = 100_000;

/**
 * Counters in this process's memory: right for one instance, wrong for several (use Redis). No
 * timers: expired windows are dropped when touched and by a sweep every 10,000 writes. Each
 * method runs to completion without awaiting, which is what makes it atomic on Node.
 *
 * At most `maxKeys` counters are kept (about 150 bytes each): per-phone windows last up to a day,
 * so a flood of sends to fresh numbers would otherwise grow the process for as long as it lasts.
 * When full, the least recently counted window is forgotten, which makes only that key's limit
 * lenient; the global budget and busy clients are counted constantly and so are never the ones
 * forgotten.
 */
export class MemoryRateLimitStore implements RateLimitStore {
  private readonly logger = new Logger('RateLimit');
  private readonly windows = new Map<string, Window>();
  private writes = 0;
  private evictions = 0;

  constructor(
    private readonly now: () => number = Date.now,
    private readonly maxKeys = Infinity,
  ) {}

  increment(key: string, windowMs: number): Promise<WindowCount> {
    const window = this.hit(key, windowMs);
    return Promise.resolve({ count: window.count, resetInMs: window.resetAt - this.now() });
  }

  consume(rules: LimitRule[]): Promise<LimitVerdict> {
    const verdict = this.verdict(rules);
    if (verdict.allowed) rules.forEach((rule) => this.hit(rule.key, rule.windowMs));
    return Promise.resolve(verdict);
  }

  check(rules: LimitRule[]): Promise<LimitVerdict> {
    return Promise.resolve(this.verdict(rules));
  }

  reset(keys: string[]): Promise<void> {
    keys.forEach((key) => this.windows.delete(key));
    return Promise.resolve();
  }

  private verdict(rules: LimitRule[]): LimitVerdict {
    for (const rule of rules) {
      const window = this.live(rule.key);
      if (window && window.count >= rule.limit) {
        return { allowed: false, rule, retryAfterMs: window.resetAt - this.now() };
      }
    }
    return { allowed: true };
  }

  private hit(key: string, windowMs: number): Window {
    if (++this.writes % SWEEP_EVERY === 0) this.sweep();
    const window = this.live(key) ?? { count: 0, resetAt: this.now() + windowMs };
    window.count += 1;
    // Re-inserted, so that the Map's order is least recently counted first.
    this.windows.delete(key);
    this.windows.set(key, window);
    if (this.windows.size > this.maxKeys) this.evictLeastRecent();
    return window;
  }

  private evictLeastRecent(): void {
    const [oldest] = this.windows.keys();
    this.windows.delete(oldest);
    if (this.evictions++ % WARN_EVERY === 0) {
      this.logger.warn(
        `${this.maxKeys} rate-limit counters in memory: forgetting the least recently used ones ` +
          `(${this.evictions} so far); raise RATE_LIMIT_MEMORY_MAX_KEYS or set REDIS_URL`,
      );
    }
  }

  private live(key: string): Window | undefined {
    const window = this.windows.get(key);
    if (window && window.resetAt <= this.now()) {
      this.windows.delete(key);
      return undefined;
    }
    return window;
  }

  private sweep(): void {
    const now = this.now();
    for (const [key, window] of this.windows) if (window.resetAt <= now) this.windows.delete(key);
  }
}
