/** One fixed-window counter: at most `limit` hits per `windowMs` under `key`. */
export interface LimitRule {
  key: string;
  limit: number;
  windowMs: number;
}

export type LimitVerdict = { allowed: true } | { allowed: false; rule: LimitRule; retryAfterMs: number };

/** A refusal's `Retry-After`, in whole seconds and at least 1. */
export function retryAfterSeconds(verdict: Extract<LimitVerdict, { allowed: false }>): number {
  return Math.max(1, Math.ceil(verdict.retryAfterMs / 1000));
}

export interface WindowCount {
  count: number;
  /** Until the window ends and the count starts again from zero. */
  resetInMs: number;
}

/**
 * Port to the counters behind every rate limit (per IP, per phone, global), so one process can
 * keep them in memory and a fleet can share them in Redis. Windows are fixed and start at a
 * key's first hit. Every method is atomic: parallel callers never see a count twice.
 */
export interface RateLimitStore {
  /**
   * Counts one hit under `key` and returns the window's count after it. `limit`, where the caller
   * checks the count against one, tells a store that forgets keys under memory pressure that a
   * key at its limit is locking someone out and must be kept.
   */
  increment(key: string, windowMs: number, limit?: number): Promise<WindowCount>;

  /**
   * If every rule still has room, counts one hit against each and allows; otherwise counts
   * nothing and names the first full rule and when it frees up.
   */
  consume(rules: LimitRule[]): Promise<LimitVerdict>;

  /** Like {@link consume} without counting: whether every rule still has room. */
  check(rules: LimitRule[]): Promise<LimitVerdict>;

  reset(keys: string[]): Promise<void>;
}

/** Injection token for the configured {@link RateLimitStore}. */
export const RateLimitStore = Symbol('RateLimitStore');
