import type { LoadResult } from './load';
import { analyse, median, rssGrowth, type Measurement } from './report';

function result(rps: number, { p50 = 1, p99 = 4, non2xx = 0, errors = 0 } = {}): LoadResult {
  return {
    requests: rps,
    durationS: 1,
    rps,
    latencyMs: { p50, p90: p99, p99, p999: p99, max: p99, mean: p50 },
    errors,
    timeouts: 0,
    non2xx,
    statusCodes: { 200: rps - non2xx },
    stoppedBy: 'duration',
  };
}

function measurement(id: string, server: Measurement['server'], rounds: LoadResult[]): Measurement {
  return { id, backend: 'sqlite', scenario: 'send-otp', server, rounds, warmup: null, peakRssMb: 100 };
}

describe('median', () => {
  it('takes the middle value, or the mean of the two middle ones, ignoring NaN', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([NaN, 5])).toBe(5);
    expect(median([])).toBeNaN();
  });
});

describe('analyse', () => {
  it('pairs the app with its baseline round by round, not median against median', () => {
    // A slow spell in round 2 halves both sides; the paired ratios stay at 0.5.
    const app = measurement('sqlite/send-otp/app', 'app', [result(500), result(250), result(500)]);
    const b5 = measurement('sqlite/send-otp/B5', 'B5', [result(1000), result(500), result(1000)]);

    const { rows, verdicts } = analyse([app, b5], []);

    const ratio = rows[0].ratios?.B5;
    expect(ratio?.perRound).toEqual([0.5, 0.5, 0.5]);
    expect(ratio?.ratio).toBe(0.5);
    expect(verdicts.find((v) => v.measure === 'sqlite send-otp ÷ B5')).toMatchObject({ value: 0.5, met: true });
  });

  it('misses the error target when the app or a baseline answered anything but 2xx', () => {
    const app = measurement('sqlite/send-otp/app', 'app', [result(500, { non2xx: 2 })]);
    const b5 = measurement('sqlite/send-otp/B5', 'B5', [result(1000, { errors: 1 })]);

    const { verdicts } = analyse([app, b5], []);

    expect(verdicts.find((v) => v.measure === 'sqlite send-otp errors + non-2xx')).toMatchObject({
      value: 2,
      met: false,
    });
    expect(verdicts.find((v) => v.measure === 'baselines errors + non-2xx')).toMatchObject({ value: 1, met: false });
  });

  it("judges the app's tail by the median p99 over the median p50", () => {
    const app = measurement('sqlite/send-otp/app', 'app', [result(500, { p50: 2, p99: 12 })]);

    const { rows, verdicts } = analyse([app], []);

    expect(rows[0].tailRatio).toBe(6);
    expect(verdicts.find((v) => v.measure === 'sqlite send-otp p99 ÷ p50')).toMatchObject({ met: false });
  });
});

describe('rssGrowth', () => {
  it('compares the median around a third of the run with the median at its end', () => {
    const samples = Array.from({ length: 90 }, (_, i) => ({ atS: i + 1, rssMb: i + 1 < 60 ? 200 : 220 }));

    const { early, late, growth } = rssGrowth(samples, 90);

    expect(early).toMatchObject({ atS: 30, windowS: [25, 35], rssMb: 200 });
    expect(late).toMatchObject({ atS: 90, windowS: [80, 91], rssMb: 220 });
    expect(growth).toBeCloseTo(0.1);
  });
});
