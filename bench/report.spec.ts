import type { Scenario } from './config';
import type { LoadResult } from './load';
import {
  analyse,
  footprints,
  formatResults,
  lowestReading,
  median,
  rssGrowth,
  type Measurement,
  type RssRun,
  type StartupRun,
} from './report';

function result(rps: number, { p50 = 1, p99 = 4, non2xx = 0, errors = 0, wrongAnswers = 0 } = {}): LoadResult {
  return {
    requests: rps,
    durationS: 1,
    rps,
    latencyMs: { p50, p90: p99, p99, p999: p99, max: p99, mean: p50 },
    errors,
    timeouts: 0,
    non2xx,
    wrongAnswers,
    wrongAnswerSamples: wrongAnswers ? ['status 500 (500 {})'] : [],
    statusCodes: { 200: rps - non2xx },
    stoppedBy: 'duration',
  };
}

function measurement(
  id: string,
  server: Measurement['server'],
  rounds: LoadResult[],
  scenario: Scenario = 'send-otp',
  peakRssMb = 100,
): Measurement {
  return { id, backend: 'sqlite', scenario, server, rounds, warmup: null, peakRssMb };
}

function rssRun(server: RssRun['server'], peakRssMb: number, growth = 0.05): RssRun {
  const window = { atS: 30, windowS: [25, 35] as [number, number], rssMb: 200, readings: 10 };
  return {
    backend: 'sqlite',
    server,
    rps: 1000,
    non2xx: 0,
    errors: 0,
    p50Ms: 1,
    p99Ms: 4,
    early: window,
    late: { ...window, atS: 90 },
    growth,
    peakRssMb,
    samples: [],
  };
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

  it('misses the error target when the app, a baseline or the peer answered anything but the right 2xx', () => {
    const app = measurement('sqlite/send-otp/app', 'app', [result(500, { non2xx: 2, wrongAnswers: 3 })]);
    const b5 = measurement('sqlite/send-otp/B5', 'B5', [result(1000, { errors: 1 })]);
    const peer = measurement('sqlite/send-otp/peer', 'peer', [result(100, { wrongAnswers: 4 })]);

    const { verdicts } = analyse([app, b5, peer], []);

    expect(verdicts.find((v) => v.measure === 'sqlite send-otp errors + non-2xx + wrong answers')).toMatchObject({
      value: 5,
      met: false,
    });
    expect(verdicts.find((v) => v.measure === 'baselines and peer errors + non-2xx + wrong answers')).toMatchObject({
      value: 5,
      met: false,
    });
  });

  it('holds verify-otp to 0.6 x B4 on SQLite (issue 21) and 0.5 x on PostgreSQL (issue 7)', () => {
    const rows = (['sqlite', 'postgres'] as const).flatMap((backend) => [
      { ...measurement(`${backend}/verify-otp/app`, 'app', [result(550)], 'verify-otp'), backend },
      { ...measurement(`${backend}/verify-otp/B4`, 'B4', [result(1000)], 'verify-otp'), backend },
    ]);

    const { verdicts } = analyse(rows, []);

    expect(verdicts.filter((v) => v.measure.endsWith('verify-otp ÷ B4'))).toEqual([
      expect.objectContaining({ measure: 'sqlite verify-otp ÷ B4', target: '≥ 0.6', met: false }),
      expect.objectContaining({ measure: 'postgres verify-otp ÷ B4', target: '≥ 0.5', met: true }),
    ]);
  });

  it("judges the app's median boot and idle RSS against 1 s and 100 MiB, and not the peer's", () => {
    const startups = [
      { server: 'app' as const, readyMs: [900, 1200, 950], idleRssMb: [104, 99, 101] },
      { server: 'peer' as const, readyMs: [2000], idleRssMb: [300] },
    ];

    const { verdicts } = analyse([], [], startups);

    expect(verdicts.filter((v) => ['ms', 'MiB'].includes(v.unit))).toEqual([
      { measure: 'sqlite boot to first 200', value: 950, unit: 'ms', target: '≤ 1000 ms', met: true },
      { measure: 'sqlite idle RSS', value: 101, unit: 'MiB', target: '≤ 100 MiB', met: false },
    ]);
  });

  it('compares each route with the peer in the same round, against a target of 2.5', () => {
    const app = measurement('sqlite/verify-otp/app', 'app', [result(600), result(300)], 'verify-otp');
    const peer = measurement('sqlite/verify-otp/peer', 'peer', [result(200), result(150)], 'verify-otp');

    const { rows, verdicts } = analyse([app, peer], []);

    expect(rows[0].ratios?.peer).toMatchObject({ perRound: [3, 2], ratio: 2.5 });
    expect(verdicts.find((v) => v.measure === 'sqlite verify-otp ÷ peer')).toMatchObject({
      value: 2.5,
      target: '≥ 2.5',
      met: true,
    });
  });

  it('compares a flood of refusals with the success path of the same route, and expects its refusals', () => {
    const send = measurement('sqlite/send-otp/app', 'app', [result(1000), result(900)]);
    const flood = measurement(
      'sqlite/flood-ip/app',
      'app',
      [result(2500, { non2xx: 2500 }), result(2700, { non2xx: 2700 })],
      'flood-ip',
    );

    const { rows, verdicts } = analyse([send, flood], []);

    expect(rows[1].ratios?.['send-otp']).toMatchObject({ perRound: [2.5, 3], ratio: 2.75 });
    expect(verdicts.find((v) => v.measure === 'sqlite send-otp flood (over IP limit) ÷ send-otp')).toMatchObject({
      target: '≥ 3',
      met: false,
    });
    expect(
      verdicts.find((v) => v.measure === 'sqlite send-otp flood (over IP limit) errors + wrong answers'),
    ).toMatchObject({ value: 0, met: true });
    // The tail target is issue 7's, for the success paths only.
    expect(verdicts.filter((v) => v.measure.includes('p99'))).toHaveLength(1);
  });

  it('compares send-otp to a tripped prefix with send-otp, and counts an answer other than its refusal as wrong', () => {
    const send = measurement('sqlite/send-otp/app', 'app', [result(1000), result(800)]);
    const pumping = measurement(
      'sqlite/pumping/app',
      'app',
      [result(5000, { non2xx: 5000 }), result(4000, { non2xx: 3990, wrongAnswers: 10 })],
      'pumping',
    );

    const { rows, verdicts } = analyse([send, pumping], []);

    expect(rows[1].ratios?.['send-otp']).toMatchObject({ perRound: [5, 5], ratio: 5 });
    expect(
      verdicts.find((v) => v.measure === 'sqlite send-otp to a tripped prefix (pumping) ÷ send-otp'),
    ).toMatchObject({ value: 5, target: '≥ 3', met: true });
    expect(
      verdicts.find((v) => v.measure === 'sqlite send-otp to a tripped prefix (pumping) errors + wrong answers'),
    ).toMatchObject({ value: 10, met: false });
    expect(verdicts.filter((v) => v.measure.includes('p99'))).toHaveLength(1);
    expect(formatResults({ rows, verdicts }, []).results).toMatch(
      /\| sqlite +\| send-otp to a tripped prefix \(pumping\) +\| app +\| 4,500 .*\| 5\.00 vs send-otp +\|/,
    );
  });

  it("judges the app's tail by the median p99 over the median p50", () => {
    const app = measurement('sqlite/send-otp/app', 'app', [result(500, { p50: 2, p99: 12 })]);

    const { rows, verdicts } = analyse([app], []);

    expect(rows[0].tailRatio).toBe(6);
    expect(verdicts.find((v) => v.measure === 'sqlite send-otp p99 ÷ p50')).toMatchObject({ met: false });
  });
});

describe('footprints', () => {
  it("puts each server's boots, idle RSS and peaks under load side by side", () => {
    const startups: StartupRun[] = [
      {
        server: 'app',
        readyMs: [900, 700, 800],
        idleRssMb: [150, 160, 155],
        idleWatch: { watchedS: 90, lowest: { atS: 41, rssMb: 97 }, samples: [] },
      },
      { server: 'peer', readyMs: [300, 400, 350], idleRssMb: [90, 95, 92] },
    ];
    const { rows } = analyse(
      [
        measurement('sqlite/send-otp/app', 'app', [result(1000)], 'send-otp', 180),
        measurement('sqlite/verify-otp/app', 'app', [result(500)], 'verify-otp', 210),
        measurement('sqlite/send-otp/peer', 'peer', [result(400)], 'send-otp', 120),
      ],
      [],
    );

    const [app, peer] = footprints(startups, rows, [rssRun('app', 300)]);

    expect(app).toEqual({
      server: 'app',
      boots: 3,
      readyMs: 800,
      readyRangeMs: [700, 900],
      idleRssMb: 155,
      watchLowestRssMb: 97,
      watchLowestAtS: 41,
      peakRssRoundsMb: 210,
      peakRssSustainedMb: 300,
    });
    expect(peer).toMatchObject({ readyMs: 350, idleRssMb: 92, peakRssRoundsMb: 120 });
    expect(peer.peakRssSustainedMb).toBeNaN();
    expect(peer.watchLowestRssMb).toBeNaN();
  });
});

describe('lowestReading', () => {
  it('is the lowest RSS of an idle watch, with the first second it was read', () => {
    const samples = [130, 131, 131, 97, 96, 96, 98].map((rssMb, i) => ({ atS: i + 1, rssMb }));

    expect(lowestReading(samples)).toEqual({ atS: 5, rssMb: 96 });
  });

  it('skips unreadable readings, and is NaN without any', () => {
    expect(
      lowestReading([
        { atS: 1, rssMb: NaN },
        { atS: 2, rssMb: 120 },
      ]),
    ).toEqual({ atS: 2, rssMb: 120 });
    expect(lowestReading([])).toEqual({ atS: NaN, rssMb: NaN });
  });
});

describe('formatResults', () => {
  it('shows every ratio of a row, the wrong answers, and the startup table only when boots were timed', () => {
    const analysis = analyse(
      [
        measurement('sqlite/send-otp/app', 'app', [result(1000, { wrongAnswers: 1 })]),
        measurement('sqlite/send-otp/B5', 'B5', [result(2000)]),
        measurement('sqlite/send-otp/peer', 'peer', [result(400)]),
      ],
      [rssRun('app', 300, 0.2)],
    );

    const tables = formatResults(analysis, [rssRun('app', 300, 0.2)]);

    expect(tables.results).toContain('| 0.50 vs B5, 2.50 vs peer |');
    expect(tables.results).toMatch(/\| wrong \|/);
    expect(tables.targets).toMatch(
      /\| sqlite RSS growth, 30 s → 90 s of send-otp +\| 20\.0 % \| ≤ 10 % \| \*\*no\*\* \|/,
    );
    expect(tables.rss).toMatch(/\| sqlite +\| app +\| 1,000 /);
    expect(tables.footprint).toBe('');
    const boots: StartupRun[] = [{ server: 'app', readyMs: [812], idleRssMb: [150.4] }];
    expect(formatResults(analysis, [], boots).footprint).toMatch(
      /\| app +\| 812 \(1 boot\) +\| 812–812 +\| 150 +\| — +\|/,
    );
    const watched: StartupRun[] = [
      { ...boots[0], idleWatch: { watchedS: 60, lowest: { atS: 33, rssMb: 96.6 }, samples: [] } },
    ];
    const footprint = formatResults(analysis, [], watched).footprint;
    expect(footprint).toContain('idle RSS MB, lowest in 60 s (first at)');
    expect(footprint).toMatch(/\| 150 +\| 97 \(33 s\) +\|/);
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
