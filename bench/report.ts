// Medians, ratios against the baselines measured in the same rounds, verdicts against issue 7's
// targets, and the tables (Markdown, so a run can be pasted into docs/benchmarks.md as printed).
import type { Backend, Scenario } from './config';
import type { LoadResult } from './load';

export const TARGETS = {
  profileVsB1: 0.35,
  profileVsB3: 0.6,
  verifyVsB4: 0.5,
  sendVsB5: 0.5,
  tailRatio: 5,
  rssGrowth: 0.1,
};

export type ServerLabel = 'app' | 'B1' | 'B3' | 'B4' | 'B5';

/** One server's runs in one scenario: the warm-up and a result per round. */
export interface Measurement {
  id: string;
  /** null for B1, which has no database. */
  backend: Backend | null;
  scenario: Scenario;
  server: ServerLabel;
  rounds: LoadResult[];
  warmup: LoadResult | null;
  peakRssMb: number;
}

/** The median of RSS readings around one moment of the RSS run. */
export interface RssWindow {
  atS: number;
  windowS: [number, number];
  rssMb: number;
  readings: number;
}

export interface RssRun {
  backend: Backend;
  rps: number;
  non2xx: number;
  errors: number;
  p50Ms: number;
  p99Ms: number;
  early: RssWindow;
  late: RssWindow;
  growth: number;
  peakRssMb: number;
  samples: { atS: number; rssMb: number }[];
}

export interface Ratio {
  /** Median over the rounds of the same-round quotient. */
  ratio: number;
  perRound: number[];
  ratioOfMedians: number;
}

export interface Row {
  id: string;
  backend: Backend | null;
  scenario: Scenario;
  server: ServerLabel;
  rps: number;
  rpsPerRound: number[];
  p50Ms: number;
  p99Ms: number;
  tailRatio: number;
  errors: number;
  non2xx: number;
  statusCodes: Record<string, number>;
  requests: number;
  peakRssMb: number;
  stoppedEarly: number;
  ratios?: Partial<Record<ServerLabel, Ratio>>;
}

export interface Verdict {
  measure: string;
  value: number;
  target: string;
  met: boolean;
}

export interface Analysis {
  rows: Row[];
  verdicts: Verdict[];
}

/** The median of the finite values; NaN when there are none. */
export function median(values: readonly number[]): number {
  const sorted = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  if (!sorted.length) return NaN;
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/**
 * RSS early in a sustained run against RSS at its end. One reading lands anywhere in a GC cycle,
 * so each side is the median of the readings within ±5 s of a third of the run and over the last
 * 10 s (narrower for short runs; the nearest reading when a window holds none).
 */
export function rssGrowth(
  samples: readonly { atS: number; rssMb: number }[],
  durationS: number,
): { early: RssWindow; late: RssWindow; growth: number } {
  const half = Math.max(1, Math.min(5, durationS / 18));
  const around = (mark: number, from: number, to: number): RssWindow => {
    const inRange = samples.filter((s) => s.atS >= from && s.atS <= to);
    const nearest = [...samples].sort((a, b) => Math.abs(a.atS - mark) - Math.abs(b.atS - mark)).slice(0, 1);
    const inside = inRange.length ? inRange : nearest;
    return {
      atS: Math.round(mark),
      windowS: [Math.round(from), Math.round(to)],
      rssMb: median(inside.map((s) => s.rssMb)),
      readings: inside.length,
    };
  };
  const earlyAt = durationS / 3;
  const early = around(earlyAt, earlyAt - half, earlyAt + half);
  const late = around(durationS, durationS - 2 * half, durationS + 1);
  return { early, late, growth: (late.rssMb - early.rssMb) / early.rssMb };
}

/** Which baselines each app scenario is compared with, and the least ratio issue 7 accepts. */
function comparisons(scenario: Scenario): { baseline: ServerLabel; target: number }[] {
  if (scenario === 'profile') {
    return [
      { baseline: 'B1', target: TARGETS.profileVsB1 },
      { baseline: 'B3', target: TARGETS.profileVsB3 },
    ];
  }
  if (scenario === 'verify-otp') return [{ baseline: 'B4', target: TARGETS.verifyVsB4 }];
  return [{ baseline: 'B5', target: TARGETS.sendVsB5 }];
}

function summarize(measurement: Measurement): Row {
  const { rounds } = measurement;
  const p50 = median(rounds.map((r) => r.latencyMs.p50));
  const p99 = median(rounds.map((r) => r.latencyMs.p99));
  return {
    id: measurement.id,
    backend: measurement.backend,
    scenario: measurement.scenario,
    server: measurement.server,
    rps: median(rounds.map((r) => r.rps)),
    rpsPerRound: rounds.map((r) => r.rps),
    p50Ms: p50,
    p99Ms: p99,
    tailRatio: p99 / p50,
    errors: rounds.reduce((sum, r) => sum + r.errors, 0),
    non2xx: rounds.reduce((sum, r) => sum + r.non2xx, 0),
    statusCodes: mergeCounts(rounds.map((r) => r.statusCodes)),
    requests: rounds.reduce((sum, r) => sum + r.requests, 0),
    peakRssMb: measurement.peakRssMb,
    stoppedEarly: rounds.filter((r) => r.stoppedBy !== 'duration').length,
  };
}

function mergeCounts(list: Record<string, number>[]): Record<string, number> {
  const merged: Record<string, number> = {};
  for (const counts of list) for (const [code, n] of Object.entries(counts)) merged[code] = (merged[code] ?? 0) + n;
  return merged;
}

/**
 * Rows for every measured server, and the verdicts. A ratio is the median over rounds of the app's
 * req/s divided by its baseline's req/s in the same round, so slow spells of a shared machine hit
 * both sides of each quotient.
 */
export function analyse(measurements: Measurement[], rssRuns: RssRun[]): Analysis {
  const byId = new Map(measurements.map((m) => [m.id, m]));
  const rows = measurements.map(summarize);
  const appRows = rows.filter((r) => r.server === 'app');
  const verdicts: Verdict[] = [];
  for (const row of appRows) {
    const app = byId.get(row.id) as Measurement;
    row.ratios = {};
    for (const { baseline, target } of comparisons(row.scenario)) {
      const base = byId.get(baseline === 'B1' ? 'B1' : `${row.backend}/${row.scenario}/${baseline}`);
      if (!base) continue;
      const paired = app.rounds.map((round, i) => round.rps / (base.rounds[i]?.rps ?? NaN));
      const ratio = median(paired);
      row.ratios[baseline] = {
        ratio,
        perRound: paired,
        ratioOfMedians: row.rps / median(base.rounds.map((r) => r.rps)),
      };
      verdicts.push({
        measure: `${row.backend} ${label(row.scenario)} ÷ ${baseline}`,
        value: ratio,
        target: `≥ ${target}`,
        met: ratio >= target,
      });
    }
  }
  for (const row of appRows) {
    verdicts.push({
      measure: `${row.backend} ${label(row.scenario)} p99 ÷ p50`,
      value: row.tailRatio,
      target: `≤ ${TARGETS.tailRatio}`,
      met: row.tailRatio <= TARGETS.tailRatio,
    });
  }
  for (const row of appRows) {
    verdicts.push({
      measure: `${row.backend} ${label(row.scenario)} errors + non-2xx`,
      value: row.errors + row.non2xx,
      target: '= 0',
      met: row.errors + row.non2xx === 0,
    });
  }
  // A baseline that failed requests would flatter the app's ratios.
  const baselineFailures = rows.filter((r) => r.server !== 'app').reduce((sum, r) => sum + r.errors + r.non2xx, 0);
  verdicts.push({
    measure: 'baselines errors + non-2xx',
    value: baselineFailures,
    target: '= 0',
    met: !baselineFailures,
  });
  for (const rss of rssRuns) {
    verdicts.push({
      measure: `${rss.backend} RSS growth, ${rss.early.atS} s → ${rss.late.atS} s of send-otp`,
      value: rss.growth,
      target: `≤ ${TARGETS.rssGrowth * 100} %`,
      met: rss.growth <= TARGETS.rssGrowth && rss.non2xx === 0 && rss.errors === 0,
    });
  }
  return { rows, verdicts };
}

const LABELS: Record<Scenario, string> = { profile: 'GET profile', 'verify-otp': 'verify-otp', 'send-otp': 'send-otp' };

export function label(scenario: Scenario): string {
  return LABELS[scenario];
}

const fmt = {
  int: (v: number) => (Number.isFinite(v) ? Math.round(v).toLocaleString('en-US') : '—'),
  ms: (v: number) => (Number.isFinite(v) ? (v < 10 ? v.toFixed(2) : v.toFixed(1)) : '—'),
  ratio: (v: number) => (Number.isFinite(v) ? v.toFixed(2) : '—'),
  mb: (v: number) => (Number.isFinite(v) ? v.toFixed(0) : '—'),
};

type Cell = string | number;

function table(header: string[], lines: Cell[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((line) => String(line[i]).length)));
  const render = (cells: Cell[]) => `| ${cells.map((c, i) => String(c).padEnd(widths[i])).join(' | ')} |`;
  return [render(header), `| ${widths.map((w) => '-'.repeat(w)).join(' | ')} |`, ...lines.map(render)].join('\n');
}

export function formatResults({ rows, verdicts }: Analysis, rssRuns: RssRun[]) {
  const results = table(
    [
      'backend',
      'scenario',
      'server',
      'req/s',
      'p50 ms',
      'p99 ms',
      'p99/p50',
      'errors',
      'non-2xx',
      'ratio',
      'peak RSS MB',
    ],
    rows.map((row) => [
      row.backend ?? '—',
      label(row.scenario),
      row.server,
      fmt.int(row.rps),
      fmt.ms(row.p50Ms),
      fmt.ms(row.p99Ms),
      fmt.ratio(row.tailRatio),
      row.errors,
      row.non2xx,
      Object.entries(row.ratios ?? {})
        .map(([baseline, { ratio }]) => `${fmt.ratio(ratio)} vs ${baseline}`)
        .join(', ') || '—',
      fmt.mb(row.peakRssMb),
    ]),
  );
  const targets = table(
    ['measure', 'value', 'target', 'met'],
    verdicts.map((v) => [
      v.measure,
      v.measure.includes('RSS')
        ? `${(v.value * 100).toFixed(1)} %`
        : v.measure.includes('errors')
          ? v.value
          : fmt.ratio(v.value),
      v.target,
      v.met ? 'yes' : '**no**',
    ]),
  );
  const rss = rssRuns.length
    ? table(
        [
          'backend',
          'req/s',
          'RSS MB (median, early window)',
          'RSS MB (median, last window)',
          'growth',
          'peak RSS MB',
          'non-2xx',
        ],
        rssRuns.map((r) => [
          r.backend,
          fmt.int(r.rps),
          `${fmt.mb(r.early.rssMb)} (${r.early.windowS.join('–')} s)`,
          `${fmt.mb(r.late.rssMb)} (${r.late.windowS.join('–')} s)`,
          `${(r.growth * 100).toFixed(1)} %`,
          fmt.mb(r.peakRssMb),
          r.non2xx + r.errors,
        ]),
      )
    : '';
  return { results, targets, rss };
}
