// npm run bench — the benchmark of issues 7 and 21. Builds nothing itself (the npm script builds
// first), then:
//   1. installs the better-auth peer (bench/peer/, its own lock file) when it is missing or stale,
//      and times boots of the app and the peer on SQLite (spawn → first 200, idle RSS);
//   2. starts the app (dist/src/main.js), the baselines B1, B3, B4, B5 and the peer, each its own
//      process on the server core, each on its own throw-away database; and the app three times more
//      with some of its limits at their defaults or its conversion breaker at low thresholds, for
//      the floods of refusals;
//   3. seeds each scenario (a signed-in user; codes issued through the servers' own send-otp);
//   4. warms every server up, then runs BENCH_ROUNDS interleaved rounds of BENCH_DURATION seconds
//      with autocannon on the other core, checking every answer's status and body, and reports
//      medians and same-round ratios;
//   5. measures RSS growth under sustained send-otp load (unless BENCH_RSS_DURATION=0), the peer's too;
//   6. prints the tables, writes bench/results/<timestamp>.json, and removes every process,
//      database, Redis key and temp file it made, also on failure or Ctrl-C.
// BENCH_PROFILE=sqlite:profile (etc.) instead CPU-profiles the app for that scenario.
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
import { availableParallelism, cpus, loadavg, release, tmpdir, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { APP_API, PEER_API, type AuthApi } from './apis';
import type { BodyCheck } from './checks';
import {
  B1_PHONE,
  FRAUD,
  NODE_FLAGS,
  ROOT,
  readConfig,
  type Backend,
  type ProfileTarget,
  type Scenario,
} from './config';
import { formatProfile, summariseProfile, type ProfileSummary } from './cpuprofile';
import { BenchDatabases, checkPostgres, checkRedis } from './databases';
import { LoadGenerator } from './drive';
import type { LoadResult, LoadSpec } from './load';
import { ensurePeerInstalled, peerVersions } from './peer';
import { PhoneAllocator, checkPhoneSample, phoneAt, prefixPhones } from './phones';
import { canPin, killAllNow, recordRss, stopAll, stopProcess, tail } from './processes';
import {
  analyse,
  formatResults,
  rssGrowth,
  type Measurement,
  type RssRun,
  type ServerLabel,
  type StartupRun,
} from './report';
import {
  exceedIpLimit,
  issueCodesThroughApi,
  requestCode,
  seedBaselineCodes,
  seedBaselineUser,
  signInThroughApi,
  tripPrefix,
  type CodePair,
} from './seed';
import { Servers, type AppOptions, type Server } from './servers';
import { measureStartup, type Bootable } from './startup';

const config = readConfig();
const startedAt = new Date();
const stamp = startedAt.toISOString().replace(/[:.]/g, '-');
const tmpDir = mkdtempSync(join(tmpdir(), 'otp-bench-'));
const resultsDir = resolve(ROOT, 'bench/results');
const databases = new BenchDatabases({ tmpDir, pgUrl: config.pgUrl, redisUrl: config.redisUrl });
const servers = new Servers({ config, databases, tmpDir });
const phones = new PhoneAllocator();
const loader = new LoadGenerator({ tmpDir, cpu: config.pin ? config.loadCpu : undefined });
const clock = Date.now();

/** The tables and the progress lines go to stdout; failures to stderr. */
const print = (text: string) => void process.stdout.write(`${text}\n`);
const log = (message: string) => print(`[${String(Math.round((Date.now() - clock) / 1000)).padStart(4)} s] ${message}`);
// A run with no response at all has no latencies (NaN, null once it has crossed the IPC channel).
const ms = (value: number | null) => (Number.isFinite(value) ? `${(value as number).toFixed(2)} ms` : '—');
const describe = (r: LoadResult) =>
  `${Math.round(r.rps)} req/s, p50 ${ms(r.latencyMs.p50)}, p99 ${ms(r.latencyMs.p99)}` +
  `${r.non2xx || r.errors ? `, non-2xx ${r.non2xx}, errors ${r.errors} ${JSON.stringify(r.statusCodes)}` : ''}` +
  `${r.wrongAnswers ? `, wrong answers ${r.wrongAnswers}, e.g. ${r.wrongAnswerSamples[0]}` : ''}` +
  `${r.stoppedBy === 'duration' ? '' : ` (stopped: ${r.stoppedBy})`}`;

const JSON_HEADERS = { 'content-type': 'application/json' };
const MAX_CODES_PER_ROUND = 300_000;
// Codes for the warm-up (it ends early if they run out), and per round `margin` times what the
// warm-up's rate would spend, as a cold warm-up runs slow. The app's codes cost a send-otp each,
// the baseline's only a row. 1,500 a second: the app verifies about 1,500 a second on a fast VM,
// and a warm-up that ran dry would size the rounds' pools from its capped rate.
const APP_POOLS = { warmupPerSecond: 1_500, margin: 2 };
const BASELINE_POOLS = { warmupPerSecond: 5_000, margin: 4 };
const PHONES_PER_SECOND = 25_000;

// ---- scenarios ---------------------------------------------------------------------------------

interface Meta {
  id: string;
  backend: Backend | null;
  scenario: Scenario;
  server: ServerLabel;
}

function meta(backend: Backend, scenario: Scenario, server: ServerLabel): Meta {
  return { id: `${backend}/${scenario}/${server}`, backend, scenario, server };
}

/** One server in one scenario: how to seed it, and the load to put on it for `duration` seconds. */
interface Target extends Meta {
  srv: Server;
  rounds: LoadResult[];
  warmup: LoadResult | null;
  peakRssMb: number;
  seed?: () => Promise<void>;
  afterWarmup?: (warmup: LoadResult) => Promise<void>;
  spec: (duration: number) => LoadSpec;
}

function target(meta: Meta, srv: Server, how: Pick<Target, 'seed' | 'afterWarmup' | 'spec'>): Target {
  return { ...meta, srv, rounds: [], warmup: null, peakRssMb: NaN, ...how };
}

/** Who the bearer token (if any) speaks for: the user's phone, and the token. */
type SessionSeed = () => Promise<{ phone: string; token?: string }>;

/** GET the session (our profile, better-auth's get-session) with a valid token; the answer names its user. */
function sessionTarget(meta: Meta, srv: Server, api: AuthApi, seedSession: SessionSeed): Target {
  let headers: Record<string, string> = {};
  let check: BodyCheck | undefined;
  return target(meta, srv, {
    seed: async () => {
      const { phone, token } = await seedSession();
      headers = token ? { authorization: `Bearer ${token}` } : {};
      check = api.checks.session(phone);
    },
    spec: (duration) => ({
      url: srv.url,
      method: 'GET',
      path: api.paths.session,
      headers,
      connections: config.connections,
      mode: 'static',
      check: check as BodyCheck,
      duration,
    }),
  });
}

/**
 * POST send-otp with a fresh number per request. Numbers are indices into a 40-million range, so
 * each run reserves more than it could ever send (PHONES_PER_SECOND) and never runs short.
 */
function sendTarget(meta: Meta, srv: Server, api: AuthApi, check = api.checks.sent): Target {
  return target(meta, srv, {
    spec: (duration) => {
      const count = Math.ceil(duration * PHONES_PER_SECOND);
      return {
        url: srv.url,
        method: 'POST',
        path: api.paths.send,
        headers: JSON_HEADERS,
        connections: config.connections,
        mode: 'send',
        fields: api.fields,
        check,
        duration,
        phoneStart: phones.take(count),
        phoneCount: count,
      };
    },
  });
}

interface VerifyOptions {
  rounds: number;
  duration: number;
  pool?: { warmupPerSecond: number; margin: number };
  onIssued?: () => Promise<void>;
}

/**
 * POST verify-otp with a fresh valid code per request. A pool of codes for the warm-up, and after
 * it, sized by the warm-up's rate, one pool per round; a round that spends its pool ends early.
 */
function verifyTarget(
  meta: Meta,
  srv: Server,
  api: AuthApi,
  issue: (count: number) => Promise<CodePair[]>,
  { rounds, duration, pool = APP_POOLS, onIssued }: VerifyOptions,
): Target {
  const pools: CodePair[][] = [];
  let runs = 0;
  return target(meta, srv, {
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
      const pairs = pools.shift();
      if (!pairs) throw new Error(`${meta.id}: no pool of codes left`);
      return {
        url: srv.url,
        method: 'POST',
        path: api.paths.verify,
        headers: JSON_HEADERS,
        connections: config.connections,
        mode: 'pairs',
        fields: api.fields,
        check: api.checks.signedIn,
        duration: runDuration,
        pairsFile: loader.writePairs(`${meta.id.replace(/\W/g, '_')}-${++runs}`, pairs),
      };
    },
  });
}

async function timedIssue(id: string, issue: (count: number) => Promise<CodePair[]>, count: number) {
  const begin = Date.now();
  const pairs = await issue(count);
  log(`  ${id}: ${pairs.length} codes issued in ${((Date.now() - begin) / 1000).toFixed(1)} s`);
  return pairs;
}

/** A server that speaks one of the two sign-in APIs: the app, or the better-auth peer. */
interface Contender {
  server: 'app' | 'peer';
  api: AuthApi;
  start(name: string, options: AppOptions): Promise<Server>;
}

function appContender(backend: Backend): Contender {
  return {
    server: 'app',
    api: APP_API,
    start: (name, options) => servers.app(backend, name, { ...options, cpuProfileDir: cpuProfileDir(name) }),
  };
}

const PEER: Contender = {
  server: 'peer',
  api: PEER_API,
  start: (name, { outbox, databaseUrl }) => servers.peer(name, { outbox, databaseUrl }),
};

/** GET the session of a user signed in through the server's own API. */
async function signedInSession(contender: Contender, backend: Backend, name: string): Promise<Target> {
  const outbox = join(tmpDir, `${name}.outbox.jsonl`);
  const srv = await contender.start(name, { outbox });
  const { api } = contender;
  return sessionTarget(meta(backend, 'profile', contender.server), srv, api, async () => {
    const phone = phoneAt(phones.take(1));
    return { phone, token: await signInThroughApi({ api, baseUrl: srv.url, outbox }, phone) };
  });
}

/**
 * The server that verifies never sends: a second process of the same server on the same database
 * issues the codes (its send-otp, its outbox) and is stopped before the clock starts, so the
 * measured process's memory and CPU profile hold verify-otp alone.
 */
async function issuedVerify(
  contender: Contender,
  backend: Backend,
  name: string,
  { rounds, duration }: { rounds: number; duration: number },
): Promise<Target> {
  const srv = await contender.start(name, {});
  const outbox = join(tmpDir, `${name}_issuer.outbox.jsonl`);
  const issuer = await contender.start(`${name}_issuer`, { outbox, databaseUrl: srv.databaseUrl });
  const { api } = contender;
  const issue = (count: number) =>
    issueCodesThroughApi({
      api,
      baseUrl: issuer.url,
      outbox,
      phoneStart: phones.take(count),
      count,
      connections: config.connections,
      loader,
    });
  return verifyTarget(meta(backend, 'verify-otp', contender.server), srv, api, issue, {
    rounds,
    duration,
    onIssued: () => stopProcess(issuer.proc),
  });
}

async function freshSend(contender: Contender, backend: Backend, name: string): Promise<Target> {
  const srv = await contender.start(name, {});
  return sendTarget(meta(backend, 'send-otp', contender.server), srv, contender.api);
}

/** Any wrong code of the same length. */
const wrongCode = (code: string) => String((Number(code) + 1) % 10 ** code.length).padStart(code.length, '0');

/**
 * One number hammered with a wrong code on verify-otp, the app's per-phone limits at their
 * defaults (per-IP ones raised): the code takes OTP_MAX_ATTEMPTS guesses (400 otp_invalid) and is
 * then refused (429 otp_attempts_exceeded), as is anything past the number's failure limits.
 */
async function floodPhone(backend: Backend, name: string): Promise<Target> {
  const outbox = join(tmpDir, `${name}.outbox.jsonl`);
  const srv = await appContender(backend).start(name, { outbox, limits: 'phone' });
  let body = '';
  return target(meta(backend, 'flood-phone', 'app'), srv, {
    seed: async () => {
      const phone = phoneAt(phones.take(1));
      const code = await requestCode({ api: APP_API, baseUrl: srv.url, outbox }, phone);
      body = JSON.stringify({ phone_number: phone, otp_code: wrongCode(code) });
    },
    spec: (duration) => ({
      url: srv.url,
      method: 'POST',
      path: APP_API.paths.verify,
      headers: JSON_HEADERS,
      connections: config.connections,
      mode: 'static',
      body,
      check: {
        kind: 'problem',
        answers: [
          { status: 400, code: 'otp_invalid' },
          { status: 429, code: 'otp_attempts_exceeded' },
          { status: 429, code: 'rate_limited' },
        ],
      },
      duration,
    }),
  });
}

/** A send-otp refused by a limit or the conversion breaker: they answer alike. */
const RATE_LIMITED: BodyCheck = { kind: 'problem', answers: [{ status: 429, code: 'rate_limited' }] };

/** Most sends one client could make before its limit: far more than OTP_IP_SEND_LIMIT's default. */
const MAX_SENDS_TO_LIMIT = 1_000;

/**
 * send-otp from one client (all the bench's traffic comes from 127.0.0.1) past its per-IP limit,
 * the app's THROTTLE_* and OTP_IP_* limits at their defaults: every answer is 429 rate_limited. The
 * limit is reached before the warm-up, so only refusals are measured.
 */
async function floodIp(backend: Backend, name: string): Promise<Target> {
  const srv = await appContender(backend).start(name, { limits: 'ip' });
  const flood = sendTarget(meta(backend, 'flood-ip', 'app'), srv, APP_API, RATE_LIMITED);
  flood.seed = async () => {
    const sent = await exceedIpLimit(srv.url, phones.take(MAX_SENDS_TO_LIMIT), MAX_SENDS_TO_LIMIT);
    log(`  ${flood.id}: refused after ${sent} sends`);
  };
  return flood;
}

/**
 * SMS pumping: send-otp to the numbers of one prefix (FRAUD.prefixDropDigits digits dropped, 10,000
 * numbers) after the conversion breaker has tripped on it, the breaker's per-prefix threshold at
 * FRAUD.minSends and every other limit raised. Before the warm-up the harness sends FRAUD.minSends
 * codes to distinct numbers of the prefix and verifies none; every measured request then carries a
 * number of the prefix (all of them in turn, over again) and must be refused with 429
 * rate_limited, before anything is counted, written or texted.
 */
async function pumping(backend: Backend, name: string): Promise<Target> {
  const srv = await appContender(backend).start(name, { limits: 'fraud' });
  const phoneStart = phones.takePrefix(FRAUD.prefixDropDigits);
  const prefix = prefixPhones(phoneStart, FRAUD.prefixDropDigits);
  const which = meta(backend, 'pumping', 'app');
  return target(which, srv, {
    seed: async () => {
      await tripPrefix(srv.url, prefix, FRAUD.minSends);
      const range = `${prefix[0].slice(0, -FRAUD.prefixDropDigits)}${'X'.repeat(FRAUD.prefixDropDigits)}`;
      log(`  ${which.id}: ${range} refused after ${FRAUD.minSends} unverified sends`);
    },
    spec: (duration) => ({
      url: srv.url,
      method: 'POST',
      path: APP_API.paths.send,
      headers: JSON_HEADERS,
      connections: config.connections,
      mode: 'send',
      fields: APP_API.fields,
      check: RATE_LIMITED,
      duration,
      phoneStart,
      phoneCount: prefix.length,
      repeat: true,
    }),
  });
}

/** The app's target for each scenario; verify-otp sizes its pools of codes for `rounds` of `duration`. */
function appTargets(
  rounds: number,
  duration: number,
): Record<Scenario, (backend: Backend, name: string) => Promise<Target>> {
  return {
    profile: (backend, name) => signedInSession(appContender(backend), backend, name),
    'verify-otp': (backend, name) => issuedVerify(appContender(backend), backend, name, { rounds, duration }),
    'send-otp': (backend, name) => freshSend(appContender(backend), backend, name),
    'flood-phone': floodPhone,
    'flood-ip': floodIp,
    pumping,
  };
}

function cpuProfileDir(name: string): string | undefined {
  return config.profileTargets.length ? join(tmpDir, `cpuprof-${name}`) : undefined;
}

/** What the app is compared with in a success scenario: its baseline, and the peer where it runs. */
function companions(backend: Backend, scenario: Scenario, { rounds, duration }: { rounds: number; duration: number }) {
  const peer = config.peer && backend === 'sqlite';
  const name = (server: string) => `${backend}_${server}_${scenario.replace('-', '_')}`;
  const targets: Promise<Target>[] = [];
  if (scenario === 'profile') {
    targets.push(
      servers.baseline('b3', backend, name('b3')).then((b3) =>
        sessionTarget(meta(backend, 'profile', 'B3'), b3, APP_API, async () => {
          const phone = phoneAt(phones.take(1));
          return { phone, token: await seedBaselineUser(b3.databaseUrl, phone) };
        }),
      ),
    );
    if (peer) targets.push(signedInSession(PEER, backend, name('peer')));
  } else if (scenario === 'verify-otp') {
    targets.push(
      servers.baseline('b4', backend, name('b4')).then((b4) => {
        const issue = (count: number) => seedBaselineCodes(b4.databaseUrl, phones.take(count), count);
        const options = { rounds, duration, pool: BASELINE_POOLS };
        return verifyTarget(meta(backend, 'verify-otp', 'B4'), b4, APP_API, issue, options);
      }),
    );
    if (peer) targets.push(issuedVerify(PEER, backend, name('peer'), { rounds, duration }));
  } else if (scenario === 'send-otp') {
    targets.push(
      servers
        .baseline('b5', backend, name('b5'))
        .then((b5) => sendTarget(meta(backend, 'send-otp', 'B5'), b5, APP_API)),
    );
    if (peer) targets.push(freshSend(PEER, backend, name('peer')));
  }
  return targets;
}

/** Every server starts at once (boot is not measured here); the targets keep a fixed order. */
async function prepare(): Promise<Target[]> {
  const { scenarios, rounds, duration } = config;
  const app = appTargets(rounds, duration);
  const groups: Promise<Target>[] = [];
  if (scenarios.includes('profile')) {
    groups.push(
      servers
        .baseline('b1', null, 'b1')
        .then((b1) =>
          sessionTarget({ id: 'B1', backend: null, scenario: 'profile', server: 'B1' }, b1, APP_API, () =>
            Promise.resolve({ phone: B1_PHONE }),
          ),
        ),
    );
  }
  for (const backend of config.backends) {
    for (const scenario of scenarios) {
      groups.push(app[scenario](backend, `${backend}_app_${scenario.replace('-', '_')}`));
      groups.push(...companions(backend, scenario, { rounds, duration }));
    }
  }
  log(`starting ${config.backends.join(' and ')} servers`);
  const settled = await Promise.allSettled(groups);
  const failed = settled.find((s) => s.status === 'rejected');
  if (failed) throw failed.reason;
  log(`${servers.all.length} servers up`);
  return settled.map((s) => (s as PromiseFulfilledResult<Target>).value);
}

function load(target: Target, duration: number): Promise<LoadResult> {
  return loader.run(target.spec(duration));
}

/**
 * A warm-up that mostly failed means the harness, not the server, is wrong: stop and say why. The
 * checks judge the statuses too (a flood expects its refusals), so wrong answers are the failures.
 */
function checkWarmup(target: Target, warmup: LoadResult): void {
  const failed = warmup.wrongAnswers + warmup.errors;
  if (warmup.requests - failed <= 0 || failed > 0.1 * Math.max(1, warmup.requests)) {
    throw new Error(`${target.id} warm-up: ${describe(warmup)}; server log:\n${tail(target.srv.proc.logFile)}`);
  }
}

async function warmUp(target: Target): Promise<void> {
  await target.seed?.();
  const warmup = await load(target, config.warmup);
  target.warmup = warmup;
  checkWarmup(target, warmup);
  await target.afterWarmup?.(warmup);
}

async function warmUpAll(targets: Target[]): Promise<void> {
  if (targets.length) log(`warm-up, ${config.warmup} s each`);
  for (const target of targets) {
    await warmUp(target);
    log(`  warm-up ${target.id}: ${describe(target.warmup as LoadResult)}`);
  }
}

async function measureRounds(targets: Target[]): Promise<void> {
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

/** Sustained send-otp on a fresh process of the app (or the peer); RSS sampled every second. */
async function measureRss(contender: Contender, backend: Backend): Promise<RssRun> {
  const srv = await contender.start(`${backend}_${contender.server}_rss`, {});
  log(`RSS growth: ${backend} ${contender.server} send-otp for ${config.rssDuration} s`);
  const { samples, stop } = recordRss(srv.pid);
  let result: LoadResult;
  try {
    result = await load(
      sendTarget(meta(backend, 'send-otp', contender.server), srv, contender.api),
      config.rssDuration,
    );
  } finally {
    stop();
  }
  const { early, late, growth } = rssGrowth(samples, config.rssDuration);
  const peakRssMb = servers.peakRssMb(srv);
  await stopProcess(srv.proc);
  log(
    `  ${describe(result)}; RSS ${early.rssMb.toFixed(0)} MB at ${early.atS} s → ${late.rssMb.toFixed(0)} MB at ${late.atS} s (${(growth * 100).toFixed(1)} %)`,
  );
  return {
    backend,
    server: contender.server,
    rps: result.rps,
    non2xx: result.non2xx,
    errors: result.errors + result.wrongAnswers,
    p50Ms: result.latencyMs.p50,
    p99Ms: result.latencyMs.p99,
    early,
    late,
    growth,
    peakRssMb,
    samples: samples.map((s) => ({ atS: Number(s.atS.toFixed(1)), rssMb: Number(s.rssMb.toFixed(1)) })),
  };
}

/** Boots of the app and the peer on SQLite, each on a database that already has its schema. */
async function measureBoots(): Promise<StartupRun[]> {
  log(`startup: ${config.startupRuns} boots of the app${config.peer ? ' and the peer' : ''} on SQLite, one at a time`);
  const appDatabase = await databases.create('sqlite', 'startup_app');
  await databases.migrate(appDatabase);
  // As production runs it, and as the peer runs (NODE_ENV=production): without the API docs.
  const launch = () => servers.appLaunch('sqlite', 'startup_app', { databaseUrl: appDatabase, apiDocs: false });
  const bootables: Bootable[] = [{ server: 'app', launch }];
  if (config.peer) {
    const { databaseUrl } = await servers.peerLaunch('startup_peer');
    bootables.push({ server: 'peer', launch: () => servers.peerLaunch('startup_peer', { databaseUrl }) });
  }
  const cpu = config.pin && canPin ? config.serverCpu : undefined;
  return measureStartup(bootables, { runs: config.startupRuns, idleWatchS: config.idleWatchS, cpu, tmpDir, log });
}

// ---- CPU profiles (BENCH_PROFILE) ---------------------------------------------------------------

interface ProfileRun extends ProfileSummary {
  key: ProfileTarget;
  load: LoadResult;
}

async function profileScenario(key: ProfileTarget): Promise<ProfileRun> {
  const [backend, scenario] = key.split(':') as [Backend, Scenario];
  const name = `${backend}_prof_${scenario.replace('-', '_')}`;
  const target = await appTargets(1, config.profileDuration)[scenario](backend, name);
  await warmUp(target);
  const begin = Date.now();
  const result = await load(target, config.profileDuration);
  log(`  profiled ${key}: ${describe(result)}`);
  await stopProcess(target.srv.proc);
  // Only the samples of the measured run: boot, seeding and warm-up are cut off by time from the end.
  const windowMs = Date.now() - begin;
  const dir = cpuProfileDir(name) as string;
  const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
  if (!file) throw new Error(`no .cpuprofile was written to ${dir}`);
  mkdirSync(resultsDir, { recursive: true });
  const kept = join(resultsDir, `${stamp}-${backend}-${scenario}.cpuprofile`);
  copyFileSync(join(dir, file), kept);
  const summary = summariseProfile(kept, { lastMs: windowMs });
  print(`\n### CPU profile: ${backend} ${scenario} (${Math.round(result.rps)} req/s under profiling)\n`);
  print(formatProfile(summary));
  return { key, load: result, ...summary };
}

// ---- the run --------------------------------------------------------------------------------------

function describeMachine() {
  const model = /model name\s*:\s*(.+)/.exec(existsSync('/proc/cpuinfo') ? readFileSync('/proc/cpuinfo', 'utf8') : '');
  const autocannon = JSON.parse(readFileSync(require.resolve('autocannon/package.json'), 'utf8')) as {
    version: string;
  };
  return {
    cpuModel: model?.[1]?.trim() ?? cpus()[0]?.model,
    cores: availableParallelism(),
    memoryGb: Number((totalmem() / 2 ** 30).toFixed(1)),
    node: process.version,
    nodeFlags: NODE_FLAGS,
    kernel: release(),
    pinned: config.pin && canPin ? { server: config.serverCpu, load: config.loadCpu } : false,
    loadAverageAtStart: loadavg().map((v) => Number(v.toFixed(2))),
    loadAverageAtEnd: undefined as number[] | undefined,
    autocannon: autocannon.version,
    postgres: undefined as string | undefined,
    redis: undefined as string | undefined,
    peer: undefined as Record<string, string> | undefined,
  };
}

/** What bench/results/<timestamp>.json holds. */
interface Report {
  startedAt: string;
  finishedAt?: string;
  machine: ReturnType<typeof describeMachine>;
  config: typeof config;
  profiles?: ProfileRun[];
  rows?: ReturnType<typeof analyse>['rows'];
  verdicts?: ReturnType<typeof analyse>['verdicts'];
  rss?: RssRun[];
  startup?: StartupRun[];
  measurements?: Measurement[];
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

async function main(): Promise<number> {
  if (!existsSync(config.appMain)) {
    throw new Error(`${config.appMain} is missing: run npm run build first (npm run bench does)`);
  }
  const machine = describeMachine();
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

  const report: Report = { startedAt: startedAt.toISOString(), machine, config };
  if (config.profileTargets.length) {
    report.profiles = [];
    for (const key of config.profileTargets) report.profiles.push(await profileScenario(key));
    finish(report, `${stamp}-profile`);
    return 0;
  }

  if (config.peer) {
    ensurePeerInstalled(log);
    machine.peer = peerVersions();
    log(
      `peer: ${Object.entries(machine.peer)
        .map(([name, version]) => `${name} ${version}`)
        .join(', ')}`,
    );
  }
  // Before anything else runs, so no other server shares the core with a boot.
  const startup = config.startupRuns ? await measureBoots() : [];
  const targets = await prepare();
  await warmUpAll(targets);
  await measureRounds(targets);
  for (const target of targets) target.peakRssMb = servers.peakRssMb(target.srv);
  await Promise.all(servers.all.map((server) => stopProcess(server.proc)));

  const rss: RssRun[] = [];
  for (const backend of config.rssBackends) {
    rss.push(await measureRss(appContender(backend), backend));
    if (config.peer && backend === 'sqlite') rss.push(await measureRss(PEER, backend));
  }

  const measurements: Measurement[] = targets.map(({ id, backend, scenario, server, rounds, warmup, peakRssMb }) => ({
    id,
    backend,
    scenario,
    server,
    rounds,
    warmup,
    peakRssMb,
  }));
  const analysis = analyse(measurements, rss, startup);
  const tables = formatResults(analysis, rss, startup);
  print(`\n## Results (medians of ${plural(config.rounds, 'round')} of ${config.duration} s)\n`);
  print(tables.results);
  print('\n## Targets (issues 7 and 21)\n');
  print(tables.targets);
  if (tables.footprint) print(`\n## Startup and memory, app and peer\n\n${tables.footprint}`);
  if (tables.rss) print(`\n## RSS under sustained send-otp\n\n${tables.rss}`);
  const missed = analysis.verdicts.filter((v) => !v.met).length;
  print(`\n${analysis.verdicts.length - missed} of ${analysis.verdicts.length} targets met.`);
  Object.assign(report, { ...analysis, rss, startup, measurements });
  finish(report, stamp);
  return config.strict && missed ? 1 : 0;
}

function finish(report: Report, name: string): void {
  report.finishedAt = new Date().toISOString();
  report.machine.loadAverageAtEnd = loadavg().map((v) => Number(v.toFixed(2)));
  mkdirSync(resultsDir, { recursive: true });
  const file = join(resultsDir, `${name}.json`);
  writeFileSync(file, JSON.stringify(report, null, 2) + '\n');
  log(`wrote ${file}`);
}

let cleaning: Promise<void> | undefined;
function cleanup(): Promise<void> {
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
] as const) {
  process.once(signal, () => {
    console.error(`\n${signal}: stopping the servers and removing the databases`);
    void cleanup().finally(() => process.exit(code));
  });
}
process.on('exit', killAllNow);

void main()
  .then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      console.error(`\nbench failed: ${error instanceof Error ? error.message : String(error)}`);
      process.exitCode = 1;
    },
  )
  .finally(() => cleanup())
  .catch((error: unknown) => console.error(`cleanup failed: ${String(error)}`));
