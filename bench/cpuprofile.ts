// Summarises a V8 .cpuprofile (node --cpu-prof): self time by function and by package.
import { readFileSync } from 'node:fs';

/** The parts of a V8 `.cpuprofile` read here. */
interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; children?: number[] }[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface Ranked {
  name: string;
  ms: number;
  percentOfBusy: number;
}

export interface ProfileSummary {
  file: string;
  totalMs: number;
  busyMs: number;
  idlePercent: number;
  functions: Ranked[];
  packages: Ranked[];
  packagesInclusive: Ranked[];
}

function packageOf(url: string): string {
  if (!url) return '(native / V8)';
  if (url.startsWith('node:')) return '(node internals)';
  const modules = /node_modules\/((?:@[^/]+\/)?[^/]+)/g;
  let last;
  for (let match = modules.exec(url); match; match = modules.exec(url)) last = match[1];
  if (last) return last;
  if (url.includes('/dist/')) return '(app code)';
  return url;
}

function shortUrl(url: string): string {
  const inModules = url.lastIndexOf('node_modules/');
  if (inModules >= 0) return url.slice(inModules + 'node_modules/'.length);
  const inDist = url.indexOf('/dist/');
  return inDist >= 0 ? url.slice(inDist + 1) : url.replace(/^file:\/\//, '');
}

/** `lastMs` keeps only the samples of the profile's last `lastMs` milliseconds (the measured load). */
export function summariseProfile(file: string, { lastMs = Infinity, top = 25 } = {}): ProfileSummary {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
  const parents = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parents.set(child, node.id);
  const selfUs = new Map<number, number>();
  const from = profile.endTime - lastMs * 1000;
  let at = profile.startTime;
  profile.samples.forEach((id, i) => {
    at += profile.timeDeltas[i] ?? 0;
    if (at >= from) selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
  });
  const byFunction = new Map<string, number>();
  const byPackage = new Map<string, number>();
  let total = 0;
  let idle = 0;
  for (const [id, us] of selfUs) {
    const { functionName, url, lineNumber } = (nodes.get(id) as CpuProfile['nodes'][number]).callFrame;
    total += us;
    if (functionName === '(idle)') {
      idle += us;
      continue;
    }
    const key = `${functionName || '(anonymous)'} ${url ? `${shortUrl(url)}:${lineNumber + 1}` : ''}`.trim();
    byFunction.set(key, (byFunction.get(key) ?? 0) + us);
    const pkg = packageOf(url);
    byPackage.set(pkg, (byPackage.get(pkg) ?? 0) + us);
  }
  // Inclusive: time with a package or the app's code anywhere on the stack, each counted once per
  // sample (Node's own frames sit under everything and are left out). Stacks restart after each
  // await, so this undercounts callers of async work.
  const onStack = new Map<string, number>();
  for (const [id, us] of selfUs) {
    if (nodes.get(id)?.callFrame.functionName === '(idle)') continue;
    const seen = new Set<string>();
    for (let at: number | undefined = id; at !== undefined; at = parents.get(at)) {
      const url = nodes.get(at)?.callFrame.url;
      if (url && !url.startsWith('node:')) seen.add(packageOf(url));
    }
    for (const pkg of seen) onStack.set(pkg, (onStack.get(pkg) ?? 0) + us);
  }
  const busy = total - idle;
  const rank = (map: Map<string, number>, n: number): Ranked[] =>
    [...map]
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .map(([name, us]) => ({ name, ms: us / 1000, percentOfBusy: (100 * us) / busy }));
  return {
    file,
    totalMs: total / 1000,
    busyMs: busy / 1000,
    idlePercent: (100 * idle) / total,
    functions: rank(byFunction, top),
    packages: rank(byPackage, 20),
    packagesInclusive: rank(onStack, 25),
  };
}

export function formatProfile(summary: ProfileSummary): string {
  const lines = [
    `${summary.file}: ${summary.busyMs.toFixed(0)} ms busy, ${summary.idlePercent.toFixed(1)} % idle`,
    '',
    '| self % | self ms | function |',
    '| --- | --- | --- |',
    ...summary.functions.map((f) => `| ${f.percentOfBusy.toFixed(1)} | ${f.ms.toFixed(0)} | \`${f.name}\` |`),
    '',
    '| self % | on stack % | package |',
    '| --- | --- | --- |',
    ...summary.packages.map((p) => {
      const inclusive = summary.packagesInclusive.find((q) => q.name === p.name)?.percentOfBusy;
      return `| ${p.percentOfBusy.toFixed(1)} | ${inclusive === undefined ? '—' : inclusive.toFixed(1)} | ${p.name} |`;
    }),
  ];
  return lines.join('\n');
}
