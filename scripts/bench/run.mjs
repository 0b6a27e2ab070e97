#!/usr/bin/env node
// npm run bench — issue 7's benchmark. Builds nothing itself (the npm script builds first), then:
//   1. starts the app (dist/src/main.js) and the baselines B1, B3, B4, B5, each its own process on
//      the server core, each on its own throw-away database;
//   2. seeds each scenario (a signed-in user; codes issued through the app's own send-otp);
//   3. warms every server up, then runs BENCH_ROUNDS interleaved rounds of BENCH_DURATION seconds
//      with autocannon on the other core, and reports medians and same-round ratios;
//   4. measures RSS growth under sustained send-otp load;
//   5. prints the tables, writes bench/results/<timestamp>.json, and removes every process,
//      database, Redis key and temp file it made, also on failure or Ctrl-C.
// BENCH_PROFILE=sqlite:profile (etc.) instead CPU-profiles the app for that scenario.
import { randomBytes } from 'node:crypto';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism, cpus, loadavg, release, tmpdir, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { clearInterval, setInterval } from 'node:timers';
import { setTimeout as sleep } from 'node:timers/promises';
import { Databases, checkPostgres, checkRedis } from './backends.mjs';
import { APP_MAIN, NODE_FLAGS, ROOT, readConfig } from './config.mjs';
import { formatProfile, summariseProfile } from './cpuprofile.mjs';
import { LoadGenerator } from './drive.mjs';
import { PhoneAllocator, checkPhoneSample, phoneAt } from './phones.mjs';
import { canPin, killAllNow, memoryOf, stopAll, stopProcess, tail } from './processes.mjs';
import { analyse, formatResults, median } from './report.mjs';
import { issueCodesThroughApi, seedBaselineCodes, seedBaselineUser, signInThroughApi } from './seed.mjs';
import { Servers } from './servers.mjs';

const config = readConfig();
const startedAt = new Date();
const stamp = startedAt.toISOString().replace(/[:.]/g, '-');
const runId = `${Date.now().toString(36)}${randomBytes(2).toString('hex')}`;
const tmpDir = mkdtempSync(join(tmpdir(), 'otp-bench-'));
const resultsDir = resolve(ROOT, 'bench/results');
const databases = new Databases({ runId, tmpDir, pgUrl: config.pgUrl, redisUrl: config.redisUrl });
const servers = new Servers({ config, databases, tmpDir });
const phones = new PhoneAllocator();
const loader = new LoadGenerator({ tmpDir, cpu: config.pin ? config.loadCpu : undefined });
const clock = Date.now();

const log = (message) => console.log(`[${String(Math.round((Date.now() - clock) / 1000)).padStart(4)} s] ${message}`);
// A run with no response at all has no latencies (NaN, null once it has crossed the IPC channel).
const ms = (value) => (Number.isFinite(value) ? `${value.toFixed(2)} ms` : '—');
const describe = (r) =>
  `${Math.round(r.rps)} req/s, p50 ${ms(r.latencyMs.p50)}, p99 ${ms(r.latencyMs.p99)}` +
  `${r.non2xx || r.errors ? `, non-2xx ${r.non2xx}, errors ${r.errors} ${JSON.stringify(r.statusCodes)}` : ''}` +
  `${r.stoppedBy === 'duration' ? '' : ` (stopped: ${r.stoppedBy})`}`;

const GET = (path, headers = {}) => ({ method: 'GET', path, headers });
const POST = (path) => ({ method: 'POST', path, headers: { 'content-type': 'application/json' } });
const MAX_CODES_PER_ROUND = 300_000;
// Codes for the warm-up (it ends early if they run out), and per round `margin` times what the
// warm-up's rate would spend, as a cold warm-up runs slow. The app's codes cost a send-otp each,
// the baseline's only a row.
const APP_POOLS = { warmupPerSecond: 500, margin: 2 };
const BASELINE_POOLS = { warmupPerSecond: 5_000, margin: 4 };
const PHONES_PER_SECOND = 25_000;

// ---- scenarios ---------------------------------------------------------------------------------

function measurement(meta, srv, extra) {
  return { ...meta, srv, rounds: [], warmup: null, ...extra };
}

/** GET profile with a valid token (the app's, from its API; B3's, from rows its driver wrote). */
function profileTarget(meta, srv, signIn) {
  let headers = {};
  return measurement(meta, srv, {
    seed: async () => {
      if (signIn) headers = { authorization: `Bearer ${(await signIn(phoneAt(phones.take(1)))).access}` };
    },
    spec: (duration) => ({ url: srv.url, ...GET('/api/auth/profile/', headers), mode: 'static', duration }),
  });
}

/**
 * POST send-otp with a fresh number per request. Numbers are indices into a 40-million range, so
 * each run reserves more than it could ever send (PHONES_PER_SECOND) and never runs short.
 */
function sendTarget(meta, srv) {
  return measurement(meta, srv, {
    spec: (duration) => {
      const count = Math.ceil(duration * PHONES_PER_SECOND);
      return {
        url: srv.url,
        ...POST('/api/auth/send-otp/'),
        mode: 'send',
        duration,
        phoneStart: phones.take(count),
        phoneCount: count,
      };
    },
  });
}

/**
 * POST verify-otp with a fresh valid code per request. A pool of codes for the warm-up, and after
 * it, sized by the warm-up's rate, one pool per round; a round that spends its pool ends early.
 */
function verifyTarget(meta, srv, issue, { rounds, duration, pool = APP_POOLS, onIssued }) {
  const pools = [];
  let runs = 0;
  return measurement(meta, srv, {
    seed: async () => {
      pools.push(await timedIssue(meta.id, issue, Math.ceil(pool.warmupPerSecond * config.warmup) + 200));
    },
    afterWarmup: async (warmup) => {
      const perRound = Math.min(MAX_CODES_PER_ROUND, Math.ceil(warmup.rps * duration * pool.margin) + 200);
      const all = await timedIssue(meta.id, issue, perRound * rounds);
      for (let i = 0; i < rounds; i++) pools.push(all.slice(i * perRound, (i + 1) * perRound));
      await onIssued?.();
    },
    spec: (runDuration) => {
      const pairsFile = loader.writePairs(`${meta.id.replace(/\W/g, '_')}-${++runs}`, pools.shift());
      return { url: srv.url, ...POST('/api/auth/verify-otp/'), mode: 'pairs', duration: runDuration, pairsFile };
    },
  });
}

async function timedIssue(id, issue, count) {
  const begin = Date.now();
  const pairs = await issue(count);
  log(`  ${id}: ${pairs.length} codes issued in ${((Date.now() - begin) / 1000).toFixed(1)} s`);
  return pairs;
}

async function appProfile(backend, name) {
  const outbox = join(tmpDir, `${name}.outbox.jsonl`);
  const srv = await servers.app(backend, name, { outbox, cpuProfileDir: cpuProfileDir(name) });
  return profileTarget({ id: `${backend}/profile/app`, backend, scenario: 'profile', server: 'app' }, srv, (phone) =>
    signInThroughApi(srv.url, outbox, phone),
  );
}

/**
 * The app that verifies never sends: a second app process on the same database issues the codes
 * (its send-otp, its mock SMS outbox) and is stopped before the clock starts, so the measured
 * process's memory and CPU profile hold verify-otp alone.
 */
async function appVerify(backend, name, rounds, duration) {
  const srv = await servers.app(backend, name, { cpuProfileDir: cpuProfileDir(name) });
  const outbox = join(tmpDir, `${name}_issuer.outbox.jsonl`);
  const issuer = await servers.app(backend, `${name}_issuer`, { outbox, databaseUrl: srv.databaseUrl });
  const issue = (count) =>
    issueCodesThroughApi({
      baseUrl: issuer.url,
      outbox,
      phoneStart: phones.take(count),
      count,
      connections: config.connections,
      loader,
    });
  return verifyTarget({ id: `${backend}/verify-otp/app`, backend, scenario: 'verify-otp', server: 'app' }, srv, issue, {
    rounds,
    duration,
    onIssued: () => stopProcess(issuer.proc),
  });
}

async function appSend(backend, name) {
  const srv = await servers.app(backend, name, { cpuProfileDir: cpuProfileDir(name) });
  return sendTarget({ id: `${backend}/send-otp/app`, backend, scenario: 'send-otp', server: 'app' }, srv);
}

function cpuProfileDir(name) {
  return config.profileTargets.length ? join(tmpDir, `cpuprof-${name}`) : undefined;
}

/** Every server starts at once (boot is not measured); the targets keep a fixed order. */
async function prepare() {
  const { scenarios, rounds, duration } = config;
  const groups = [];
  if (scenarios.includes('profile')) {
    groups.push(
      servers
        .baseline('b1', null, 'b1')
        .then((b1) => [profileTarget({ id: 'B1', backend: null, scenario: 'profile', server: 'B1' }, b1)]),
    );
  }
  for (const backend of config.backends) {
    if (scenarios.includes('profile')) {
      groups.push(appProfile(backend, `${backend}_app_profile`).then((t) => [t]));
      groups.push(
        servers
          .baseline('b3', backend, `${backend}_b3`)
          .then((b3) => [
            profileTarget({ id: `${backend}/profile/B3`, backend, scenario: 'profile', server: 'B3' }, b3, (phone) =>
              seedBaselineUser(b3.databaseUrl, phone),
            ),
          ]),
      );
    }
    if (scenarios.includes('verify-otp')) {
      groups.push(appVerify(backend, `${backend}_app_verify`, rounds, duration).then((t) => [t]));
      groups.push(
        servers.baseline('b4', backend, `${backend}_b4`).then((b4) => {
          const issue = (count) => seedBaselineCodes(b4.databaseUrl, phones.take(count), count);
          const meta = { id: `${backend}/verify-otp/B4`, backend, scenario: 'verify-otp', server: 'B4' };
          return [verifyTarget(meta, b4, issue, { rounds, duration, pool: BASELINE_POOLS })];
        }),
      );
    }
    if (scenarios.includes('send-otp')) {
      groups.push(appSend(backend, `${backend}_app_send`).then((t) => [t]));
      groups.push(
        servers
          .baseline('b5', backend, `${backend}_b5`)
          .then((b5) => [
            sendTarget({ id: `${backend}/send-otp/B5`, backend, scenario: 'send-otp', server: 'B5' }, b5),
          ]),
      );
    }
  }
  log(`starting ${config.backends.join(' and ')} servers`);
  const settled = await Promise.allSettled(groups);
  const failed = settled.find((s) => s.status === 'rejected');
  if (failed) throw failed.reason;
  log(`${servers.all.length} servers up`);
  return settled.flatMap((s) => s.value);
}

async function load(target, duration) {
  return loader.run({ connections: config.connections, ...(await target.spec(duration)) });
}

/** A warm-up that mostly failed means the harness, not the server, is wrong: stop and say why. */
function checkWarmup(target) {
  const { warmup } = target;
  const ok = warmup.requests - warmup.non2xx;
  if (ok === 0 || warmup.non2xx + warmup.errors > 0.1 * Math.max(1, warmup.requests)) {
    throw new Error(`${target.id} warm-up: ${describe(warmup)}; server log:\n${tail(target.srv.proc.logFile)}`);
  }
}

async function warmUpAll(targets) {
  if (targets.length) log(`warm-up, ${config.warmup} s each`);
  for (const target of targets) {
    await target.seed?.();
    target.warmup = await load(target, config.warmup);
    log(`  warm-up ${target.id}: ${describe(target.warmup)}`);
    checkWarmup(target);
    await target.afterWarmup?.(target.warmup);
  }
}

async function measureRounds(targets) {
  for (let round = 0; round < config.rounds && targets.length; round++) {
    log(`round ${round + 1}/${config.rounds}, ${config.duration} s each`);
    // Alternate the order so neither side of a ratio always runs first.
    for (const target of round % 2 ? [...targets].reverse() : targets) {
      await sleep(250);
      const result = await load(target, config.duration);
      target.rounds.push(result);
      log(`  ${target.id}: ${describe(result)}`);
    }
  }
}

/** Sustained send-otp on a fresh app process; RSS sampled every second. */
async function measureRss(backend) {
  const srv = await servers.app(backend, `${backend}_app_rss`);
  const count = Math.ceil(config.rssDuration * PHONES_PER_SECOND);
  log(`RSS growth: ${backend} send-otp for ${config.rssDuration} s`);
  const samples = [];
  const begin = Date.now();
  const sampler = setInterval(() => samples.push({ atS: (Date.now() - begin) / 1000, ...memoryOf(srv.pid) }), 1_000);
  let result;
  try {
    result = await loader.run({
      url: srv.url,
      ...POST('/api/auth/send-otp/'),
      connections: config.connections,
      duration: config.rssDuration,
      mode: 'send',
      phoneStart: phones.take(count),
      phoneCount: count,
    });
  } finally {
    clearInterval(sampler);
  }
  // One RSS reading lands anywhere in a GC cycle: take the median of the readings within ±5 s of
  // the 30 s mark (a third of the run) and over the last 10 s.
  const half = Math.max(1, Math.min(5, config.rssDuration / 18));
  const earlyAt = config.rssDuration / 3;
  const around = (mark, from, to) => {
    const nearest = [...samples].sort((a, b) => Math.abs(a.atS - mark) - Math.abs(b.atS - mark)).slice(0, 1);
    const inRange = samples.filter((s) => s.atS >= from && s.atS <= to);
    const inside = inRange.length ? inRange : nearest;
    const rssMb = median(inside.map((s) => s.rssMb));
    return { atS: Math.round(mark), windowS: [Math.round(from), Math.round(to)], rssMb, readings: inside.length };
  };
  const early = around(earlyAt, earlyAt - half, earlyAt + half);
  const late = around(config.rssDuration, config.rssDuration - 2 * half, config.rssDuration + 1);
  const peakRssMb = servers.peakRssMb(srv);
  await stopProcess(srv.proc);
  const run = {
    backend,
    rps: result.rps,
    non2xx: result.non2xx,
    errors: result.errors,
    p50Ms: result.latencyMs.p50,
    p99Ms: result.latencyMs.p99,
    early,
    late,
    growth: (late.rssMb - early.rssMb) / early.rssMb,
    peakRssMb,
    samples: samples.map((s) => ({ atS: Number(s.atS.toFixed(1)), rssMb: Number(s.rssMb.toFixed(1)) })),
  };
  log(
    `  ${describe(result)}; RSS ${early.rssMb.toFixed(0)} MB at ${run.early.atS} s → ${late.rssMb.toFixed(0)} MB at ${run.late.atS} s (${(run.growth * 100).toFixed(1)} %)`,
  );
  return run;
}

// ---- CPU profiles (BENCH_PROFILE) ---------------------------------------------------------------

async function profileScenario(key) {
  const [backend, scenario] = key.split(':');
  const name = `${backend}_prof_${scenario.replace('-', '_')}`;
  const target =
    scenario === 'profile'
      ? await appProfile(backend, name)
      : scenario === 'verify-otp'
        ? await appVerify(backend, name, 1, config.profileDuration)
        : await appSend(backend, name);
  await target.seed?.();
  target.warmup = await load(target, config.warmup);
  checkWarmup(target);
  await target.afterWarmup?.(target.warmup);
  const begin = Date.now();
  const result = await load(target, config.profileDuration);
  log(`  profiled ${key}: ${describe(result)}`);
  await stopProcess(target.srv.proc);
  // Only the samples of the measured run: boot, seeding and warm-up are cut off by time from the end.
  const windowMs = Date.now() - begin;
  const dir = cpuProfileDir(name);
  const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
  if (!file) throw new Error(`no .cpuprofile was written to ${dir}`);
  mkdirSync(resultsDir, { recursive: true });
  const kept = join(resultsDir, `${stamp}-${backend}-${scenario}.cpuprofile`);
  copyFileSync(join(dir, file), kept);
  const summary = summariseProfile(kept, { lastMs: windowMs });
  console.log(`\n### CPU profile: ${backend} ${scenario} (${Math.round(result.rps)} req/s under profiling)\n`);
  console.log(formatProfile(summary));
  return { key, load: result, ...summary };
}

// ---- the run --------------------------------------------------------------------------------------

function describeMachine() {
  const require = createRequire(import.meta.url);
  const model = /model name\s*:\s*(.+)/.exec(existsSync('/proc/cpuinfo') ? readFileSync('/proc/cpuinfo', 'utf8') : '');
  return {
    cpuModel: model?.[1]?.trim() ?? cpus()[0]?.model,
    cores: availableParallelism(),
    memoryGb: Number((totalmem() / 2 ** 30).toFixed(1)),
    node: process.version,
    kernel: release(),
    pinned: config.pin && canPin ? { server: config.serverCpu, load: config.loadCpu } : false,
    loadAverageAtStart: loadavg().map((v) => Number(v.toFixed(2))),
    autocannon: require('autocannon/package.json').version,
  };
}

function plural(n, word) {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

async function main() {
  if (!existsSync(APP_MAIN)) throw new Error(`${APP_MAIN} is missing: run npm run build first (npm run bench does)`);
  const machine = { ...describeMachine(), nodeFlags: NODE_FLAGS };
  log(
    `${machine.cpuModel}, ${plural(machine.cores, 'core')}, Node ${machine.node} ${NODE_FLAGS.join(' ')}, ` +
      `load average ${machine.loadAverageAtStart.join(' ')}` +
      (machine.pinned
        ? `; servers on CPU ${config.serverCpu}, load generator on CPU ${config.loadCpu}`
        : '; not pinned'),
  );
  checkPhoneSample();
  if (config.backends.includes('postgres')) {
    machine.postgres = await checkPostgres(config.pgUrl);
    if (config.pgRedis) machine.redis = await checkRedis(config.redisUrl);
  }
  const sampler = setInterval(() => servers.sample(), 1_000);
  sampler.unref();

  const report = { startedAt: startedAt.toISOString(), machine, config };
  if (config.profileTargets.length) {
    report.profiles = [];
    for (const key of config.profileTargets) report.profiles.push(await profileScenario(key));
    return finish(report, `${stamp}-profile`);
  }

  const targets = await prepare();
  await warmUpAll(targets);
  await measureRounds(targets);
  for (const target of targets) target.peakRssMb = servers.peakRssMb(target.srv);
  await Promise.all(servers.all.map((server) => stopProcess(server.proc)));

  const rss = [];
  for (const backend of config.rssBackends) rss.push(await measureRss(backend));

  const measurements = targets.map(({ id, backend, scenario, server, rounds, warmup, peakRssMb }) => ({
    id,
    backend,
    scenario,
    server,
    rounds,
    warmup,
    peakRssMb,
  }));
  const analysis = analyse(measurements, rss);
  const tables = formatResults(analysis, rss);
  console.log(`\n## Results (medians of ${plural(config.rounds, 'round')} of ${config.duration} s)\n`);
  console.log(tables.results);
  console.log('\n## Targets (issue 7)\n');
  console.log(tables.targets);
  if (tables.rss) console.log(`\n## RSS under sustained send-otp\n\n${tables.rss}`);
  const missed = analysis.verdicts.filter((v) => !v.met).length;
  console.log(`\n${analysis.verdicts.length - missed} of ${analysis.verdicts.length} targets met.`);
  Object.assign(report, { ...analysis, rss, measurements });
  finish(report, stamp);
  return process.env.BENCH_STRICT === '1' && missed ? 1 : 0;
}

function finish(report, name) {
  report.finishedAt = new Date().toISOString();
  report.machine.loadAverageAtEnd = loadavg().map((v) => Number(v.toFixed(2)));
  mkdirSync(resultsDir, { recursive: true });
  const file = join(resultsDir, `${name}.json`);
  writeFileSync(file, JSON.stringify(report, null, 2) + '\n');
  log(`wrote ${file}`);
  return 0;
}

let cleaning;
function cleanup() {
  cleaning ??= (async () => {
    await loader.close();
    await stopAll();
    const failures = await databases.cleanup();
    for (const failure of failures) console.error(`cleanup: could not remove ${failure}`);
    if (config.keepTmp) console.error(`kept ${tmpDir}`);
    else rmSync(tmpDir, { recursive: true, force: true });
  })();
  return cleaning;
}

for (const [signal, code] of [
  ['SIGINT', 130],
  ['SIGTERM', 143],
]) {
  process.once(signal, () => {
    console.error(`\n${signal}: stopping the servers and removing the databases`);
    void cleanup().finally(() => process.exit(code));
  });
}
process.on('exit', killAllNow);

try {
  process.exitCode = await main();
} catch (error) {
  console.error(`\nbench failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
} finally {
  await cleanup();
}
