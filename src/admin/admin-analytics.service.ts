import { Inject, Injectable } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { AuditEventsRepository, type AnalyticsCounts } from '../audit/audit-events.repository';
import { adminConfig, type SmsPrices } from '../config';
import { analyticsRange } from './analytics-range';
import type { AnalyticsQueryDto } from './dto/analytics-query.dto';
import type { AnalyticsCountryDto, AnalyticsCountsDto, AnalyticsDto, AnalyticsStatsDto } from './dto/analytics.dto';

const NO_EVENTS: AnalyticsCounts = { sent: 0, verified: 0, failed: 0, refused: 0, newUsers: 0, returningUsers: 0 };

/** Sign-in analytics from the audit trail: the database aggregates, this assembles and prices. */
@Injectable()
export class AdminAnalyticsService {
  constructor(
    private readonly events: AuditEventsRepository,
    @Inject(adminConfig.KEY) private readonly config: ConfigType<typeof adminConfig>,
  ) {}

  async report(query: AnalyticsQueryDto, now = new Date()): Promise<AnalyticsDto> {
    const range = analyticsRange(query, now);
    const filter = { from: range.from.getTime(), to: range.to.getTime(), country: query.country ?? null };
    const [buckets, countries, refusals, middles] = await Promise.all([
      this.events.analyticsBuckets({ ...filter, origin: range.origin, bucketMs: range.bucketMs }),
      this.events.analyticsCountries(filter),
      this.events.analyticsRefusals(filter),
      this.events.analyticsVerifyMiddles(filter),
    ]);
    const byBucket = new Map(buckets.map((row) => [row.bucket, row]));
    const byCountry = countries
      .map((row): AnalyticsCountryDto => ({
        country: row.country,
        ...stats(
          row,
          median(middles.filter((m) => m.ofCountry && m.country === row.country).map((m) => m.elapsedMs)),
          countrySpend(this.config.smsPrices, row),
        ),
      }))
      .sort((a, b) => b.sent - a.sent || compareCountries(a.country, b.country));
    return {
      from: range.from.toISOString(),
      to: range.to.toISOString(),
      bucket: range.bucket,
      currency: this.config.currency,
      totals: stats(
        countries.reduce(addCounts, NO_EVENTS),
        median(middles.filter((m) => m.ofAll).map((m) => m.elapsedMs)),
        smsSpend(this.config.smsPrices, countries),
      ),
      series: Array.from({ length: range.count }, (_, i) => ({
        start: new Date(range.origin + i * range.bucketMs).toISOString(),
        ...counts(byBucket.get(i) ?? NO_EVENTS),
      })),
      by_country: byCountry,
      refused_by_reason: Object.fromEntries(
        refusals
          .map(({ reason, events }) => [reason ?? 'unknown', events] as const)
          .sort(([a, x], [b, y]) => y - x || a.localeCompare(b)),
      ),
    };
  }
}

/** The median of `values` (the mean of the middle two for an even count); null for none. */
export function median(values: readonly number[]): number | null {
  if (!values.length) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/** A country's price of one message: its own, else SMS_PRICES' `*`; undefined when neither is set. */
export function priceOf(prices: SmsPrices, country: string | null): number | undefined {
  return (country === null ? undefined : prices.byCountry.get(country)) ?? prices.otherwise;
}

/**
 * What the messages of these countries cost, rounded to a millionth; countries without a price are
 * left out. Null when SMS_PRICES is empty.
 */
export function smsSpend(
  prices: SmsPrices,
  countries: readonly { country: string | null; messages: number }[],
): number | null {
  if (!prices.byCountry.size && prices.otherwise === undefined) return null;
  let spend = 0;
  for (const { country, messages } of countries) spend += messages * (priceOf(prices, country) ?? 0);
  return Math.round(spend * 1e6) / 1e6;
}

/** One country's spend: null when it has no price. */
function countrySpend(prices: SmsPrices, row: { country: string | null; messages: number }): number | null {
  return priceOf(prices, row.country) === undefined ? null : smsSpend(prices, [row]);
}

function addCounts(a: AnalyticsCounts, b: AnalyticsCounts): AnalyticsCounts {
  return {
    sent: a.sent + b.sent,
    verified: a.verified + b.verified,
    failed: a.failed + b.failed,
    refused: a.refused + b.refused,
    newUsers: a.newUsers + b.newUsers,
    returningUsers: a.returningUsers + b.returningUsers,
  };
}

function counts(c: AnalyticsCounts): AnalyticsCountsDto {
  return {
    sent: c.sent,
    verified: c.verified,
    failed: c.failed,
    refused: c.refused,
    conversion: c.sent ? c.verified / c.sent : null,
    new_users: c.newUsers,
    returning_users: c.returningUsers,
  };
}

function stats(c: AnalyticsCounts, medianMs: number | null, spend: number | null): AnalyticsStatsDto {
  return { ...counts(c), median_verify_seconds: medianMs === null ? null : medianMs / 1000, sms_spend: spend };
}

/** Countries by code, numbers of no country last. */
function compareCountries(a: string | null, b: string | null): number {
  return a === b ? 0 : a === null ? 1 : b === null ? -1 : a.localeCompare(b);
}
