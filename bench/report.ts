// Medians, ratios against the baselines and the peer measured in the same rounds, verdicts against
// the targets of issues 7 and 21, and the tables (Markdown, so a run can be pasted into
// docs/benchmarks.md as printed).
import type { Backend, Scenario } from './config';
import type { LoadResult } from './load';

export const TARGETS = {
  profileVsB1: 0.35,
  profileVsB3: 0.6,
  /** Issue 7's 0.5, and issue 21's 0.6 on SQLite. */
  verifyVsB4: { sqlite: 0.6, postgres: 0.5 },
  sendVsB5: 0.5,
  /** Ours ÷ better-auth's, per route (issue 21). */
  vsPeer: 2.5,
  /** A refusal costs at most a third of a success on the same route: refusals/s ÷ successes/s (issue 21). */
  refusalVsSuccess: 3,
  tailRatio: 5,
  rssGrowth: 0.1,
  /** The app's spawn to first 200 and its RSS a few seconds after, on SQLite (issue 21). */
  bootMs: 1000,
  idleRssMb: 100,
};

export type ServerLabel = 'app' | 'peer' | 'B1' | 'B3' | 'B4' | 'B5';

/** Each flood, and the success path on the same route that its refusals are compared with. */
export const FLOOD_OF: Partial<Record<Scenario, Scenario>> = {
  'flood-phone': 'verify-otp',
  'flood-ip': 'send-otp',
  pumping: 'send-otp',
};

export function isFlood(scenario: Scenario): boolean {
  return scenario in FLOOD_OF;
}

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

/** An RSS reading, seconds after a server's first 200 or after its load began. */
export interface RssSample {
  atS: number;
  rssMb: number;
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
  server: 'app' | 'peer';
  rps: number;
  non2xx: number;
  errors: number;
  p50Ms: number;
  p99Ms: number;
  early: RssWindow;
  late: RssWindow;
  growth: number;
  peakRssMb: number;
  samples: RssSample[];
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
  /** Answers whose status or body was not what the route must answer (checks.ts). */
  wrongAnswers: number;
  wrongAnswerSamples: string[];
  statusCodes: Record<string, number>;
  requests: number;
  peakRssMb: number;
  stoppedEarly: number;
  /** By what the app was compared with: a baseline, the peer, or (for a flood) the success path. */
  ratios?: Record<string, Ratio>;
}

export interface Verdict {
  measure: string;
  value: number;
  unit: 'ratio' | 'count' | 'percent' | 'ms' | 'MiB';
  target: string;
  met: boolean;
}

export interface Analysis {
  rows: Row[];
  verdicts: Verdict[];
}

/** Timed boots of one server (startup.ts). */
export interface StartupRun {
  server: 'app' | 'peer';
  readyMs: number[];
  idleRssMb: number[];
  /** One more boot of it, left idle and read every second for `watchedS` seconds. */
  idleWatch?: { watchedS: number; lowest: RssSample; samples: RssSample[] };
}

/** The lowest reading, the first one when several are equal; NaN when there are none. */
export function lowestReading(samples: readonly RssSample[]): RssSample {
  return samples.reduce<RssSample>((low, s) => (s.rssMb < low.rssMb || Number.isNaN(low.rssMb) ? s : low), {
    atS: NaN,
    rssMb: NaN,
  });
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
  samples: readonly RssSample[],
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

interface Comparison {
  /** How the ratio is named: a server, or the success scenario a flood is compared with. */
  against: string;
  /** The measurement on the other side of the quotient. */
  id: string;
  target: number;
}

/** What each app scenario is compared with, and the least ratio the issues accept. */
function comparisons(backend: Backend | null, scenario: Scenario): Comparison[] {
  const same = (server: ServerLabel, target: number): Comparison => ({
    against: server,
    id: `${backend}/${scenario}/${server}`,
    target,
  });
  const success = FLOOD_OF[scenario];
  if (success) return [{ against: success, id: `${backend}/${success}/app`, target: TARGETS.refusalVsSuccess }];
  const peer = same('peer', TARGETS.vsPeer);
  if (scenario === 'profile') {
    return [{ against: 'B1', id: 'B1', target: TARGETS.profileVsB1 }, same('B3', TARGETS.profileVsB3), peer];
  }
  if (scenario === 'verify-otp') return [same('B4', TARGETS.verifyVsB4[backend ?? 'sqlite']), peer];
  return [same('B5', TARGETS.sendVsB5), peer];
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
    wrongAnswers: rounds.reduce((sum, r) => sum + r.wrongAnswers, 0),
    wrongAnswerSamples: rounds.flatMap((r) => r.wrongAnswerSamples).slice(0, 5),
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

/** What counts against a row: everything that went wrong, and for a success path every non-2xx. */
export function failures(row: Pick<Row, 'scenario' | 'errors' | 'non2xx' | 'wrongAnswers'>): number {
  return row.errors + row.wrongAnswers + (isFlood(row.scenario) ? 0 : row.non2xx);
}

/**
 * Rows for every measured server, and the verdicts. A ratio is the median over rounds of the app's
 * req/s divided by the other side's req/s in the same round, so slow spells of a shared machine hit
 * both sides of each quotient.
 */
export function analyse(measurements: Measurement[], rssRuns: RssRun[], startups: StartupRun[] = []): Analysis {
  const byId = new Map(measurements.map((m) => [m.id, m]));
  const rows = measurements.map(summarize);
  const appRows = rows.filter((r) => r.server === 'app');
  const verdicts: Verdict[] = [];
  for (const row of appRows) {
    const app = byId.get(row.id) as Measurement;
    row.ratios = {};
    for (const { against, id, target } of comparisons(row.backend, row.scenario)) {
      const other = byId.get(id);
      if (!other) continue;
      const paired = app.rounds.map((round, i) => round.rps / (other.rounds[i]?.rps ?? NaN));
      const ratio = median(paired);
      row.ratios[against] = {
        ratio,
        perRound: paired,
        ratioOfMedians: row.rps / median(other.rounds.map((r) => r.rps)),
      };
      verdicts.push({
        measure: `${row.backend} ${label(row.scenario)} ÷ ${against}`,
        value: ratio,
        unit: 'ratio',
        target: `≥ ${target}`,
        met: ratio >= target,
      });
    }
  }
  for (const row of appRows.filter((r) => !isFlood(r.scenario))) {
    verdicts.push({
      measure: `${row.backend} ${label(row.scenario)} p99 ÷ p50`,
      value: row.tailRatio,
      unit: 'ratio',
      target: `≤ ${TARGETS.tailRatio}`,
      met: row.tailRatio <= TARGETS.tailRatio,
    });
  }
  for (const row of appRows) {
    const value = failures(row);
    verdicts.push({
      measure: `${row.backend} ${label(row.scenario)} ${isFlood(row.scenario) ? 'errors + wrong answers' : 'errors + non-2xx + wrong answers'}`,
      value,
      unit: 'count',
      target: '= 0',
      met: value === 0,
    });
  }
  // A baseline or a peer that failed requests would flatter the app's ratios.
  const otherFailures = rows.filter((r) => r.server !== 'app').reduce((sum, r) => sum + failures(r), 0);
  verdicts.push({
    measure: 'baselines and peer errors + non-2xx + wrong answers',
    value: otherFailures,
    unit: 'count',
    target: '= 0',
    met: !otherFailures,
  });
  for (const rss of rssRuns.filter((r) => r.server === 'app')) {
    verdicts.push({
      measure: `${rss.backend} RSS growth, ${rss.early.atS} s → ${rss.late.atS} s of send-otp`,
      value: rss.growth,
      unit: 'percent',
      target: `≤ ${TARGETS.rssGrowth * 100} %`,
      met: rss.growth <= TARGETS.rssGrowth && rss.non2xx === 0 && rss.errors === 0,
    });
  }
  for (const { readyMs, idleRssMb } of startups.filter((run) => run.server === 'app' && run.readyMs.length)) {
    const limits = [
      ['sqlite boot to first 200', median(readyMs), 'ms', TARGETS.bootMs],
      ['sqlite idle RSS', median(idleRssMb), 'MiB', TARGETS.idleRssMb],
    ] as const;
    for (const [measure, value, unit, limit] of limits) {
      verdicts.push({ measure, value, unit, target: `≤ ${limit} ${unit}`, met: value <= limit });
    }
  }
  return { rows, verdicts };
}

/** Boot time and memory beside each other, one line per server (the app and the peer, on SQLite). */
export interface Footprint {
  server: 'app' | 'peer';
  boots: number;
  readyMs: number;
  readyRangeMs: [number, number];
  idleRssMb: number;
  /** The lowest RSS of the idle watch (NaN without one), and the second it was first read. */
  watchLowestRssMb: number;
  watchLowestAtS: number;
  /** The highest VmHWM of its processes in the rounds (SQLite scenarios). */
  peakRssRoundsMb: number;
  /** VmHWM of its sustained send-otp run, when there was one. */
  peakRssSustainedMb: number;
}

export function footprints(startups: StartupRun[], rows: Row[], rssRuns: RssRun[]): Footprint[] {
  return startups.map(({ server, readyMs, idleRssMb, idleWatch }) => {
    const peaks = rows.filter((r) => r.server === server && r.backend === 'sqlite').map((r) => r.peakRssMb);
    return {
      server,
      boots: readyMs.length,
      readyMs: median(readyMs),
      readyRangeMs: [Math.min(...readyMs), Math.max(...readyMs)],
      idleRssMb: median(idleRssMb),
      watchLowestRssMb: idleWatch?.lowest.rssMb ?? NaN,
      watchLowestAtS: idleWatch?.lowest.atS ?? NaN,
      peakRssRoundsMb: peaks.filter(Number.isFinite).length ? Math.max(...peaks.filter(Number.isFinite)) : NaN,
      peakRssSustainedMb: rssRuns.find((r) => r.server === server && r.backend === 'sqlite')?.peakRssMb ?? NaN,
    };
  });
}

const LABELS: Record<Scenario, string> = {
  profile: 'GET profile',
  'verify-otp': 'verify-otp',
  'send-otp': 'send-otp',
  'flood-phone': 'verify-otp flood (wrong codes)',
  'flood-ip': 'send-otp flood (over IP limit)',
  pumping: 'send-otp to a tripped prefix (pumping)',
};

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

function formatVerdictValue({ value, unit }: Verdict): string | number {
  if (unit === 'percent') return `${(value * 100).toFixed(1)} %`;
  if (unit === 'ms') return `${fmt.int(value)} ms`;
  if (unit === 'MiB') return `${fmt.mb(value)} MiB`;
  return unit === 'count' ? value : fmt.ratio(value);
}

export function formatResults({ rows, verdicts }: Analysis, rssRuns: RssRun[], startups: StartupRun[] = []) {
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
      'wrong',
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
      row.wrongAnswers,
      Object.entries(row.ratios ?? {})
        .map(([against, { ratio }]) => `${fmt.ratio(ratio)} vs ${against}`)
        .join(', ') || '—',
      fmt.mb(row.peakRssMb),
    ]),
  );
  const targets = table(
    ['measure', 'value', 'target', 'met'],
    verdicts.map((v) => [v.measure, formatVerdictValue(v), v.target, v.met ? 'yes' : '**no**']),
  );
  const rss = rssRuns.length
    ? table(
        [
          'backend',
          'server',
          'req/s',
          'RSS MB (median, early window)',
          'RSS MB (median, last window)',
          'growth',
          'peak RSS MB',
          'non-2xx',
        ],
        rssRuns.map((r) => [
          r.backend,
          r.server,
          fmt.int(r.rps),
          `${fmt.mb(r.early.rssMb)} (${r.early.windowS.join('–')} s)`,
          `${fmt.mb(r.late.rssMb)} (${r.late.windowS.join('–')} s)`,
          `${(r.growth * 100).toFixed(1)} %`,
          fmt.mb(r.peakRssMb),
          r.non2xx + r.errors,
        ]),
      )
    : '';
  const watchedS = startups.find((run) => run.idleWatch)?.idleWatch?.watchedS;
  const footprint = startups.length
    ? table(
        [
          'server (SQLite)',
          'boot to first 200, ms (median)',
          'fastest–slowest ms',
          'idle RSS MB',
          `idle RSS MB, lowest in ${watchedS ?? '—'} s (first at)`,
          'peak RSS MB, rounds',
          'peak RSS MB, sustained send-otp',
        ],
        footprints(startups, rows, rssRuns).map((f) => [
          f.server,
          `${fmt.int(f.readyMs)} (${f.boots} boot${f.boots === 1 ? '' : 's'})`,
          `${fmt.int(f.readyRangeMs[0])}–${fmt.int(f.readyRangeMs[1])}`,
          fmt.mb(f.idleRssMb),
          Number.isFinite(f.watchLowestRssMb) ? `${fmt.mb(f.watchLowestRssMb)} (${fmt.int(f.watchLowestAtS)} s)` : '—',
          fmt.mb(f.peakRssRoundsMb),
          fmt.mb(f.peakRssSustainedMb),
        ]),
      )
    : '';
  return { results, targets, rss, footprint };
}
