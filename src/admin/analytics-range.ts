import { ProblemException } from '../common/errors/problem.exception';
import type { AnalyticsBucket } from './dto/analytics-query.dto';

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
const BUCKET_MS: Record<AnalyticsBucket, number> = { hour: HOUR_MS, day: DAY_MS };
const MAX_BUCKETS = 2000;
const DEFAULT_SPAN_MS = 7 * DAY_MS;
/** Ranges up to this long are drawn by the hour unless asked otherwise. */
const HOURLY_UP_TO_MS = 2 * DAY_MS;

/** The range an analytics request covers, and its buckets. */
export interface AnalyticsRange {
  /** Events from `from` (inclusive) to `to` (exclusive) are counted, exactly. */
  from: Date;
  to: Date;
  bucket: AnalyticsBucket;
  bucketMs: number;
  /** Start of the first bucket: `from` rounded down to a UTC hour or day (epoch time counts no leap seconds). */
  origin: number;
  /** Buckets from `origin` to the one holding the last instant before `to`. */
  count: number;
}

/**
 * The range of a request: `to` now, `from` a week before it and the bucket by the range's length
 * unless given. Refused (400) when `from` is not before `to` or the range needs over 2000 buckets.
 */
export function analyticsRange(query: { from?: Date; to?: Date; bucket?: AnalyticsBucket }, now: Date): AnalyticsRange {
  const to = query.to ?? now;
  const from = query.from ?? new Date(to.getTime() - DEFAULT_SPAN_MS);
  if (from.getTime() >= to.getTime()) {
    throw invalid('from', `from (${from.toISOString()}) must be before to (${to.toISOString()})`);
  }
  const bucket = query.bucket ?? (to.getTime() - from.getTime() > HOURLY_UP_TO_MS ? 'day' : 'hour');
  const bucketMs = BUCKET_MS[bucket];
  const origin = alignDown(from.getTime(), bucketMs);
  const count = Math.ceil((to.getTime() - origin) / bucketMs);
  if (count > MAX_BUCKETS) {
    throw invalid(
      'bucket',
      `the range spans ${count} ${bucket} buckets; at most ${MAX_BUCKETS}: shorten it or use a longer bucket`,
    );
  }
  return { from, to, bucket, bucketMs, origin, count };
}

/** The start of the UTC-aligned bucket holding `ms`. */
export function alignDown(ms: number, bucketMs: number): number {
  return Math.floor(ms / bucketMs) * bucketMs;
}

function invalid(field: string, message: string): ProblemException {
  return new ProblemException('validation_failed', { detail: message, errors: [{ field, message }] });
}
