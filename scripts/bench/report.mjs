// Medians, ratios against the baselines measured in the same rounds, verdicts against issue 7's
// targets, and the tables (Markdown, so a run can be pasted into docs/benchmarks.md as printed).

export const TARGETS = {
  profileVsB1: 0.35,
  profileVsB3: 0.6,
  verifyVsB4: 0.5,
  sendVsB5: 0.5,
  tailRatio: 5,
  rssGrowth: 0.1,
};

export function median(values) {
  const sorted = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  if (!sorted.length) return NaN;
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/** Which baselines each app scenario is compared with, and the least ratio issue 7 accepts. */
function comparisons(scenario) {
  if (scenario === 'profile') {
    return [
      { baseline: 'B1', target: TARGETS.profileVsB1 },
      { baseline: 'B3', target: TARGETS.profileVsB3 },
    ];
  }
  if (scenario === 'verify-otp') return [{ baseline: 'B4', target: TARGETS.verifyVsB4 }];
  return [{ baseline: 'B5', target: TARGETS.sendVsB5 }];
}

function summarize(measurement) {
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

function mergeCounts(list) {
  const merged = {};
  for (const counts of list) for (const [code, n] of Object.entries(counts)) merged[code] = (merged[code] ?? 0) + n;
  return merged;
}

/**
 * Rows for every measured server, and the verdicts. A ratio is the median over rounds of the app's
 * req/s divided by its baseline's req/s in the same round, so slow spells of a shared machine hit
 * both sides of each quotient.
 */
export function analyse(measurements, rssRuns) {
  const byId = new Map(measurements.map((m) => [m.id, m]));
  const rows = measurements.map(summarize);
  const verdicts = [];
  for (const row of rows.filter((r) => r.server === 'app')) {
    const app = byId.get(row.id);
    row.ratios = {};
    for (const { baseline, target } of comparisons(row.scenario)) {
      const base = byId.get(baseline === 'B1' ? 'B1' : `${row.backend}/${row.scenario}/${baseline}`);
      if (!base) continue;
      const paired = app.rounds.map((round, i) => round.rps / base.rounds[i]?.rps);
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
  for (const row of rows.filter((r) => r.server === 'app')) {
    verdicts.push({
      measure: `${row.backend} ${label(row.scenario)} p99 ÷ p50`,
      value: row.tailRatio,
      target: `≤ ${TARGETS.tailRatio}`,
      met: row.tailRatio <= TARGETS.tailRatio,
    });
  }
  for (const row of rows.filter((r) => r.server === 'app')) {
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

function label(scenario) {
  return { profile: 'GET profile', 'verify-otp': 'verify-otp', 'send-otp': 'send-otp' }[scenario];
}

const fmt = {
  int: (v) => (Number.isFinite(v) ? Math.round(v).toLocaleString('en-US') : '—'),
  ms: (v) => (Number.isFinite(v) ? (v < 10 ? v.toFixed(2) : v.toFixed(1)) : '—'),
  ratio: (v) => (Number.isFinite(v) ? v.toFixed(2) : '—'),
  mb: (v) => (Number.isFinite(v) ? v.toFixed(0) : '—'),
};

function table(header, lines) {
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((line) => String(line[i]).length)));
  const render = (cells) => `| ${cells.map((c, i) => String(c).padEnd(widths[i])).join(' | ')} |`;
  return [render(header), `| ${widths.map((w) => '-'.repeat(w)).join(' | ')} |`, ...lines.map(render)].join('\n');
}

export function formatResults({ rows, verdicts }, rssRuns) {
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
