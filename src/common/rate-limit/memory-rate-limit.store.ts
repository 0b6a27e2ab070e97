import type { LimitRule, LimitVerdict, RateLimitStore, WindowCount } from './rate-limit.store';

interface Window {
  count: number;
  resetAt: number;
}

const SWEEP_EVERY = 10_000;

/**
 * Counters in this process's memory: right for one instance, wrong for several (use Redis). No
 * timers: expired windows are dropped when touched and by a sweep every 10,000 writes. Each
 * method runs to completion without awaiting, which is what makes it atomic on Node.
 */
export class MemoryRateLimitStore implements RateLimitStore {
  private readonly windows = new Map<string, Window>();
  private writes = 0;

  constructor(private readonly now: () => number = Date.now) {}

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
    this.windows.set(key, window);
    return window;
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
