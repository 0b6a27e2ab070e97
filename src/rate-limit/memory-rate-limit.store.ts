import { Logger } from '@nestjs/common';
import type { LimitRule, LimitVerdict, RateLimitStore, WindowCount } from './rate-limit.store';

interface Window {
  count: number;
  resetAt: number;
  /** The count has reached a limit it is checked against: the key is refusing someone. */
  limiting: boolean;
}

const SWEEP_EVERY = 10_000;

/**
 * Counters in this process's memory: right for one instance, wrong for several (use Redis). No
 * timers: expired windows are dropped when touched and by a sweep every 10,000 writes. Each
 * method runs to completion without awaiting, which is what makes it atomic on Node.
 *
 * At most `maxKeys` counters are kept (about 150 bytes each): per-phone windows last up to a day,
 * so a flood of sends to fresh numbers would otherwise grow the process for as long as it lasts.
 * They are kept in two generations: new and touched windows go to the current one, and when it
 * holds half of `maxKeys` the previous generation, every window not counted since, is forgotten
 * at once. Forgetting makes only those keys' limits lenient; the global budget and busy clients
 * are counted constantly and so always sit in the current generation. A key at its limit is never
 * forgotten while its window lasts (it moves to `held`): otherwise a flood of other keys would
 * unlock a number or client that is locked out; such keys are bounded by the limits themselves
 * (each takes a full window's worth of hits). Evicting one key at a time
 * instead (re-inserting on every hit, or scanning the Map from its oldest entry) made each hit
 * ten times slower on a Map of 100,000 keys.
 */
export class MemoryRateLimitStore implements RateLimitStore {
  private readonly logger = new Logger('RateLimit');
  private current = new Map<string, Window>();
  private previous = new Map<string, Window>();
  private held = new Map<string, Window>();
  private writes = 0;
  private warned = false;

  constructor(
    private readonly now: () => number = Date.now,
    private readonly maxKeys = Infinity,
  ) {}

  increment(key: string, windowMs: number, limit?: number): Promise<WindowCount> {
    const window = this.hit(key, windowMs);
    if (limit !== undefined && window.count >= limit) window.limiting = true;
    return Promise.resolve({ count: window.count, resetInMs: window.resetAt - this.now() });
  }

  consume(rules: LimitRule[]): Promise<LimitVerdict> {
    const verdict = this.verdict(rules);
    if (verdict.allowed) {
      for (const rule of rules) {
        const window = this.hit(rule.key, rule.windowMs);
        if (window.count >= rule.limit) window.limiting = true;
      }
    }
    return Promise.resolve(verdict);
  }

  check(rules: LimitRule[]): Promise<LimitVerdict> {
    return Promise.resolve(this.verdict(rules));
  }

  reset(keys: string[]): Promise<void> {
    for (const key of keys) this.forget(key);
    return Promise.resolve();
  }

  /** Windows kept: both generations and the held keys at their limits. */
  get size(): number {
    return this.current.size + this.previous.size + this.held.size;
  }

  private verdict(rules: LimitRule[]): LimitVerdict {
    for (const rule of rules) {
      const window = this.live(rule.key);
      if (window && window.count >= rule.limit) {
        window.limiting = true;
        return { allowed: false, rule, retryAfterMs: window.resetAt - this.now() };
      }
    }
    return { allowed: true };
  }

  private hit(key: string, windowMs: number): Window {
    if (++this.writes % SWEEP_EVERY === 0) this.sweep();
    let window = this.live(key);
    if (!window) {
      window = { count: 0, resetAt: this.now() + windowMs, limiting: false };
      this.keep(key, window);
    } else if (!this.current.has(key)) {
      this.previous.delete(key);
      this.held.delete(key);
      this.keep(key, window);
    }
    window.count += 1;
    return window;
  }

  private keep(key: string, window: Window): void {
    this.current.set(key, window);
    if (this.current.size < this.maxKeys / 2) return;
    if (this.previous.size) this.warnOnce();
    const now = this.now();
    for (const [key, window] of this.previous) if (window.limiting && window.resetAt > now) this.held.set(key, window);
    this.previous = this.current;
    this.current = new Map();
  }

  private forget(key: string): void {
    this.current.delete(key);
    this.previous.delete(key);
    this.held.delete(key);
  }

  private live(key: string): Window | undefined {
    const window = this.current.get(key) ?? this.previous.get(key) ?? this.held.get(key);
    if (window && window.resetAt <= this.now()) {
      this.forget(key);
      return undefined;
    }
    return window;
  }

  private sweep(): void {
    const now = this.now();
    for (const generation of [this.current, this.previous, this.held]) {
      for (const [key, window] of generation) if (window.resetAt <= now) generation.delete(key);
    }
  }

  private warnOnce(): void {
    if (this.warned) return;
    this.warned = true;
    this.logger.warn(
      `More than ${this.maxKeys} rate-limit counters in memory: the least recently used are being ` +
        `forgotten, which weakens their limits; raise RATE_LIMIT_MEMORY_MAX_KEYS or set REDIS_URL`,
    );
  }
}
