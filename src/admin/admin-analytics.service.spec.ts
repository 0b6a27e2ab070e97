import type { ConfigType } from '@nestjs/config';
import type { AuditEventsRepository } from '../audit/audit-events.repository';
import { ProblemException } from '../common/errors/problem.exception';
import type { adminConfig, SmsPrices } from '../config';
import { AdminAnalyticsService, median, priceOf, smsSpend } from './admin-analytics.service';
import { alignDown, analyticsRange } from './analytics-range';

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
const at = (iso: string) => new Date(iso);

function prices(entries: Record<string, number>): SmsPrices {
  const { '*': otherwise, ...byCountry } = entries;
  return { byCountry: new Map(Object.entries(byCountry)), otherwise };
}

function problemOf(run: () => unknown): ProblemException {
  try {
    run();
  } catch (error) {
    if (error instanceof ProblemException) return error;
    throw error;
  }
  throw new Error('expected a ProblemException');
}

describe('median', () => {
  it('is the middle value of an odd count, whatever the order', () => {
    expect(median([30, 10, 20])).toBe(20);
    expect(median([7])).toBe(7);
  });

  it('is the mean of the middle two of an even count', () => {
    expect(median([5000, 7001])).toBe(6000.5);
    expect(median([40, 10, 30, 20])).toBe(25);
  });

  it('is null for no values', () => {
    expect(median([])).toBeNull();
  });
});

describe('SMS spend', () => {
  it('prices a country at its own price, else at `*`, and a number of no country at `*`', () => {
    const table = prices({ US: 0.0079, '*': 0.05 });
    expect(priceOf(table, 'US')).toBe(0.0079);
    expect(priceOf(table, 'FR')).toBe(0.05);
    expect(priceOf(table, null)).toBe(0.05);
    expect(priceOf(prices({ US: 0.0079 }), 'FR')).toBeUndefined();
  });

  it('adds messages × price over the countries, rounded to a millionth', () => {
    const table = prices({ US: 0.01, GB: 0.04, '*': 0.05 });
    const spend = smsSpend(table, [
      { country: 'US', messages: 3 },
      { country: 'GB', messages: 1 },
      { country: null, messages: 1 },
    ]);
    expect(spend).toBe(0.12);
    expect(smsSpend(prices({ US: 0.0079 }), [{ country: 'US', messages: 3 }])).toBe(0.0237);
  });

  it('leaves countries without a price out', () => {
    const spend = smsSpend(prices({ US: 0.01 }), [
      { country: 'US', messages: 2 },
      { country: 'FR', messages: 100 },
    ]);
    expect(spend).toBe(0.02);
  });

  it('is 0 for no messages and null when SMS_PRICES is empty', () => {
    expect(smsSpend(prices({ US: 0.01 }), [])).toBe(0);
    expect(smsSpend(prices({}), [{ country: 'US', messages: 2 }])).toBeNull();
  });
});

describe('analyticsRange', () => {
  const now = at('2026-07-08T12:34:56.789Z');

  it('aligns buckets to the UTC hour or day', () => {
    const ms = Date.parse('2026-07-08T12:34:56.789Z');
    expect(new Date(alignDown(ms, HOUR_MS)).toISOString()).toBe('2026-07-08T12:00:00.000Z');
    expect(new Date(alignDown(ms, DAY_MS)).toISOString()).toBe('2026-07-08T00:00:00.000Z');
    expect(alignDown(Date.parse('2026-07-08T00:00:00Z'), DAY_MS)).toBe(Date.parse('2026-07-08T00:00:00Z'));
  });

  it('defaults to the 7 days before now, by the day: the partial first and last days are buckets too', () => {
    expect(analyticsRange({}, now)).toEqual({
      from: at('2026-07-01T12:34:56.789Z'),
      to: now,
      bucket: 'day',
      bucketMs: DAY_MS,
      origin: Date.parse('2026-07-01T00:00:00Z'),
      count: 8,
    });
  });

  it('keeps `from` and `to` exact and counts the buckets from the one holding `from`', () => {
    const range = analyticsRange({ from: at('2026-07-08T09:30:00Z'), to: at('2026-07-08T11:00:00Z') }, now);
    expect(range).toMatchObject({ bucket: 'hour', origin: Date.parse('2026-07-08T09:00:00Z'), count: 2 });
    expect(range.from).toEqual(at('2026-07-08T09:30:00Z'));
  });

  it('goes by the hour up to 2 days and by the day beyond, unless a bucket is given', () => {
    const from = at('2026-07-01T00:00:00Z');
    expect(analyticsRange({ from, to: at('2026-07-03T00:00:00Z') }, now)).toMatchObject({ bucket: 'hour', count: 48 });
    expect(analyticsRange({ from, to: at('2026-07-03T00:00:00.001Z') }, now)).toMatchObject({
      bucket: 'day',
      count: 3,
    });
    expect(analyticsRange({ from, to: at('2026-07-02T00:00:00Z'), bucket: 'day' }, now)).toMatchObject({ count: 1 });
  });

  it('takes 7 days before `to` when only `to` is given', () => {
    expect(analyticsRange({ to: at('2026-03-04T00:00:00Z') }, now).from).toEqual(at('2026-02-25T00:00:00Z'));
  });

  it('refuses `from` at or after `to` with validation_failed on `from`', () => {
    for (const from of [at('2026-07-08T12:34:56.789Z'), at('2026-07-09T00:00:00Z')]) {
      const problem = problemOf(() => analyticsRange({ from }, now));
      expect(problem.code).toBe('validation_failed');
      expect(problem.problem.errors).toEqual([{ field: 'from', message: expect.stringContaining('before') }]);
    }
  });

  it('allows 2000 buckets and refuses 2001', () => {
    const from = at('2026-01-01T00:00:00Z');
    const to = (ms: number) => new Date(from.getTime() + ms);
    expect(analyticsRange({ from, to: to(2000 * HOUR_MS), bucket: 'hour' }, now).count).toBe(2000);
    const problem = problemOf(() => analyticsRange({ from, to: to(2000 * HOUR_MS + 1), bucket: 'hour' }, now));
    expect(problem.problem.errors).toEqual([
      { field: 'bucket', message: expect.stringContaining('2001 hour buckets') },
    ]);
  });
});

describe('AdminAnalyticsService', () => {
  it('fills the buckets without events with zeros and sums the countries into the totals', async () => {
    const none = { sent: 0, verified: 0, failed: 0, refused: 0, newUsers: 0, returningUsers: 0 };
    const events = {
      analyticsBuckets: jest.fn().mockResolvedValue([{ bucket: 1, ...none, sent: 2, verified: 1 }]),
      analyticsCountries: jest.fn().mockResolvedValue([
        { country: null, ...none, sent: 1, messages: 1 },
        { country: 'US', ...none, sent: 1, verified: 1, messages: 2 },
      ]),
      analyticsRefusals: jest.fn().mockResolvedValue([]),
      analyticsVerifyMiddles: jest
        .fn()
        .mockResolvedValue([{ country: 'US', elapsedMs: 1500, ofCountry: true, ofAll: true }]),
    } as unknown as AuditEventsRepository;
    const config = { smsPrices: prices({ US: 0.01 }), currency: 'USD' } as ConfigType<typeof adminConfig>;
    const service = new AdminAnalyticsService(events, config);

    const report = await service.report(
      { from: at('2026-07-08T00:00:00Z'), to: at('2026-07-08T03:00:00Z') },
      at('2026-07-09T00:00:00Z'),
    );

    expect(events.analyticsBuckets).toHaveBeenCalledWith({
      from: Date.parse('2026-07-08T00:00:00Z'),
      to: Date.parse('2026-07-08T03:00:00Z'),
      country: null,
      origin: Date.parse('2026-07-08T00:00:00Z'),
      bucketMs: HOUR_MS,
    });
    expect(report.series.map((b) => [b.start, b.sent, b.conversion])).toEqual([
      ['2026-07-08T00:00:00.000Z', 0, null],
      ['2026-07-08T01:00:00.000Z', 2, 0.5],
      ['2026-07-08T02:00:00.000Z', 0, null],
    ]);
    expect(report.totals).toMatchObject({
      sent: 2,
      verified: 1,
      conversion: 0.5,
      median_verify_seconds: 1.5,
      sms_spend: 0.02,
    });
    expect(report.by_country.map((c) => [c.country, c.sms_spend])).toEqual([
      ['US', 0.02],
      [null, null],
    ]);
  });
});
