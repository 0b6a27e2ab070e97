/**
 * A send counted (and the scopes it tripped), or refused uncounted because a scope had tripped
 * already, with the longest cooldown left.
 */
export type SendVerdict = { admitted: true; tripped: string[] } | { admitted: false; retryAfterMs: number };

/** A breaker's scope: a country or a number prefix, and the sends it needs before it may trip. */
export interface BreakerScope {
  key: string;
  minSends: number;
}

/** What every scope of one store is judged by (FRAUD_* settings). */
export interface ConversionRules {
  windowMs: number;
  /** Verified ÷ sent below this, over at least a scope's minSends sends, trips it. */
  minConversion: number;
  cooldownMs: number;
}

/**
 * Port to the send and verification counts behind the conversion breaker, so one process can keep
 * them in memory and a fleet can share them in Redis. Counts are over a sliding window (the
 * current fixed window plus the previous one, weighted by how much of it still overlaps). Times
 * are the caller's clock. Every method is atomic: parallel callers never trip a scope twice.
 */
export interface ConversionStore {
  /** How long the longest trip among `keys` still runs, in ms; 0 when none is tripped. */
  trippedFor(keys: string[], now: number): Promise<number>;

  /**
   * The gate: when any of the scopes is tripped, refuses the send and counts nothing; otherwise
   * counts one send under each, and trips each whose window now holds at least its minSends sends
   * with a conversion below the rules' minimum (the send that trips a scope is still admitted). A
   * tripped scope's counts start again from zero, so it is judged afresh when its cooldown ends.
   */
  recordSend(scopes: BreakerScope[], now: number): Promise<SendVerdict>;

  /**
   * Counts one verified code under each key that is not tripped: codes verified during a cooldown
   * must not buy unverified sends after it.
   */
  recordVerified(keys: string[], now: number): Promise<void>;
}

/** Injection token for the configured {@link ConversionStore}. */
export const ConversionStore = Symbol('ConversionStore');

/** The sliding window's estimate from the current and previous fixed windows' counts. */
export function slidingCount(current: number, previous: number, now: number, windowMs: number): number {
  return current + previous * (1 - (now % windowMs) / windowMs);
}
