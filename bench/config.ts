// Settings shared by the orchestrator, the baselines and the load generator. Everything a user
// may change is an environment variable read here; docs/benchmarks.md lists them.
import { existsSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import type { Dialect } from '../test/helpers/databases';

/** The repository root: the nearest folder with a package.json (bench/ in Jest, dist/bench/ when built). */
function findRoot(from: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    if (dirname(dir) === dir) throw new Error(`no package.json above ${from}`);
  }
}

export const ROOT = findRoot(__dirname);
export const APP_MAIN = resolve(ROOT, 'dist/src/main.js');

/**
 * The node flags production runs with (`npm run start:prod`, docs/deployment.md): every server in
 * the bench, the app and the baselines alike, runs with them.
 */
export const NODE_FLAGS: string[] =
  (JSON.parse(readFileSync(resolve(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts[
    'start:prod'
  ].match(/--\S+/g) ?? [];

/** Both the app and the baselines sign and check tokens with these (bench-only values). */
export const JWT = {
  secret: 'bench-only-jwt-secret-not-for-production-0123456789',
  issuer: 'otp-auth',
  audience: 'otp-auth',
  // Longer than any run, so the seeded token cannot expire mid-benchmark.
  accessTtlSeconds: 4 * 3600,
  refreshTtlSeconds: 7 * 86400,
};
export const OTP = {
  secret: 'bench-only-otp-secret-not-for-production-0123456789',
  codeLength: 6,
  // Codes are issued before the rounds start; they must outlive the whole run.
  ttlMs: 2 * 3600_000,
  maxAttempts: 5,
};
export const SESSION_MAX_AGE_MS = 30 * 86400_000;
/** The user B1 answers with, always the same. */
export const B1_PHONE = '+12015550123';
/** The app's default APP_NAME, which its SMS text names. */
export const APP_NAME = 'Phone OTP Auth';

/** The peer's session-signing secret (bench-only). */
export const PEER_SECRET = 'bench-only-peer-secret-not-for-production-0123456789';

const HUGE = '1000000000';

/** The app's limits by whom they count, raised in the bench unless a flood scenario needs them. */
const IP_LIMITS = ['THROTTLE_LIMIT', 'OTP_IP_SEND_LIMIT', 'OTP_IP_VERIFY_LIMIT'];
const PHONE_LIMITS = [
  'OTP_RESEND_COOLDOWN',
  'OTP_PHONE_SEND_LIMIT',
  'OTP_PHONE_DAILY_SEND_LIMIT',
  'OTP_PHONE_FAILURE_LIMIT',
  'OTP_MAX_CONSECUTIVE_FAILURES',
];

/**
 * The conversion breaker in the `pumping` scenario: a prefix (the number without its last
 * `prefixDropDigits` digits, 10,000 numbers) trips after `minSends` sends none of which was
 * verified, and stays tripped for longer than any run. The country threshold stays raised, so
 * only the prefix trips.
 */
export const FRAUD = { minSends: 20, prefixDropDigits: 4, cooldown: '24h' };

/**
 * Which of the app's limits keep their defaults: none (`raised`, the success paths), the per-phone
 * ones (`phone`, the wrong-code flood) or the per-IP ones (`ip`, the over-the-limit flood); or
 * every limit raised but the conversion breaker's per-prefix threshold lowered to FRAUD's
 * (`fraud`, the pumping scenario).
 */
export type Limits = 'raised' | 'phone' | 'ip' | 'fraud';

export interface AppEnvironmentOptions {
  port: number;
  databaseUrl: string;
  redisUrl?: string;
  redisKeyPrefix?: string;
  /** A file the mock SMS provider appends to; none by default. */
  outbox?: string;
  /** `raised` by default. */
  limits?: Limits;
  /** Swagger UI and the OpenAPI document; on by default, as in development. */
  apiDocs?: boolean;
}

/**
 * The app as a user would run it from the production build, with every limit raised so the load
 * is answered by the real work and not by cheap 429s (unless `limits` keeps some at their
 * defaults), the mock SMS provider that never fails and writes no file, and warn-level logs.
 */
export function appEnvironment({
  port,
  databaseUrl,
  redisUrl,
  redisKeyPrefix,
  outbox,
  limits = 'raised',
  apiDocs = true,
}: AppEnvironmentOptions): Record<string, string> {
  const defaults = limits === 'ip' ? IP_LIMITS : limits === 'phone' ? PHONE_LIMITS : [];
  const environment: Record<string, string> = {
    NODE_ENV: 'development',
    API_DOCS_ENABLED: String(apiDocs),
    HOST: '127.0.0.1',
    PORT: String(port),
    DATABASE_URL: databaseUrl,
    ...(redisUrl && { REDIS_URL: redisUrl, REDIS_KEY_PREFIX: redisKeyPrefix ?? '' }),
    LOG_LEVEL: 'warn',
    JWT_SECRET: JWT.secret,
    JWT_ISSUER: JWT.issuer,
    JWT_AUDIENCE: JWT.audience,
    JWT_ACCESS_TTL: `${JWT.accessTtlSeconds}s`,
    OTP_SECRET: OTP.secret,
    OTP_TTL: `${OTP.ttlMs / 1000}s`,
    SMS_PROVIDER: 'mock',
    SMS_MOCK_FAILURE_RATE: '0',
    // Empty means no outbox; only the processes whose codes the harness must read get a file.
    SMS_MOCK_OUTBOX: outbox ?? '',
    THROTTLE_LIMIT: HUGE,
    OTP_IP_SEND_LIMIT: HUGE,
    OTP_IP_VERIFY_LIMIT: HUGE,
    OTP_RESEND_COOLDOWN: '0s',
    OTP_PHONE_SEND_LIMIT: HUGE,
    OTP_PHONE_DAILY_SEND_LIMIT: HUGE,
    SMS_HOURLY_BUDGET: HUGE,
    SMS_COUNTRY_BUDGETS: `*:${HUGE}`,
    FRAUD_MIN_SENDS: HUGE,
    FRAUD_COUNTRY_MIN_SENDS: HUGE,
    OTP_PHONE_FAILURE_LIMIT: HUGE,
    OTP_MAX_CONSECUTIVE_FAILURES: HUGE,
    ...(limits === 'fraud' && {
      FRAUD_ACTION: 'block',
      FRAUD_MIN_SENDS: String(FRAUD.minSends),
      FRAUD_PREFIX_DROP_DIGITS: String(FRAUD.prefixDropDigits),
      FRAUD_COOLDOWN: FRAUD.cooldown,
    }),
  };
  for (const name of defaults) delete environment[name];
  return environment;
}

/** Only what a process needs from the caller's environment: a stray DATABASE_URL or .env must not leak in. */
export function baseEnvironment(): Record<string, string> {
  const keep = ['PATH', 'HOME', 'LANG', 'TMPDIR', 'TZ'];
  return Object.fromEntries(
    keep.flatMap((name) => (process.env[name] === undefined ? [] : [[name, process.env[name]]])),
  );
}

export const BACKENDS = ['sqlite', 'postgres'] as const satisfies readonly Dialect[];
/**
 * The success paths, and three floods of refusals: `flood-phone`, one number hammered with wrong
 * codes on verify-otp under the per-phone limits; `flood-ip`, send-otp from one client over its IP
 * limit; `pumping`, send-otp to the numbers of a prefix the conversion breaker has tripped on.
 */
export const SCENARIOS = ['profile', 'verify-otp', 'send-otp', 'flood-phone', 'flood-ip', 'pumping'] as const;
export type Backend = (typeof BACKENDS)[number];
export type Scenario = (typeof SCENARIOS)[number];
export type ProfileTarget = `${Backend}:${Scenario}`;

type Env = Record<string, string | undefined>;

/** Seconds such as `10`, `10s` or `2m`; `0` only where `allowZero` (it means "skip"). */
function seconds(env: Env, name: string, fallback: number, { allowZero = false } = {}): number {
  const value = (env[name] ?? '').trim() || String(fallback);
  const match = /^(\d+(?:\.\d+)?)(s|m)?$/.exec(value);
  const amount = match ? Number(match[1]) * (match[2] === 'm' ? 60 : 1) : NaN;
  if (!(amount > 0 || (allowZero && amount === 0))) {
    throw new Error(
      `${name}: expected seconds such as 10 or 10s or 2m${allowZero ? ' (0 skips)' : ''}, got "${value}"`,
    );
  }
  return amount;
}

function integer(env: Env, name: string, fallback: number, min = 1): number {
  const value = (env[name] ?? '').trim() || String(fallback);
  if (!/^\d+$/.test(value) || Number(value) < min)
    throw new Error(`${name}: expected an integer >= ${min}, got "${value}"`);
  return Number(value);
}

/** A comma-separated subset of `allowed`; unset means `fallback`, empty means none. */
function list<T extends string>(env: Env, name: string, fallback: readonly T[], allowed: readonly T[]): T[] {
  const raw = env[name] ?? fallback.join(',');
  const items = raw
    .split(',')
    .map((item) => item.trim().toLowerCase())
    .filter(Boolean);
  const unknown = items.find((item) => !(allowed as readonly string[]).includes(item));
  if (unknown) throw new Error(`${name}: unknown "${unknown}"; expected some of ${allowed.join(', ')}`);
  return items as T[];
}

export interface BenchConfig {
  backends: Backend[];
  scenarios: Scenario[];
  duration: number;
  rounds: number;
  warmup: number;
  connections: number;
  /** 0 when the RSS measurement is skipped. */
  rssDuration: number;
  rssBackends: Backend[];
  profileTargets: ProfileTarget[];
  profileDuration: number;
  /** Runs the better-auth peer (bench/peer/) beside the app on SQLite. */
  peer: boolean;
  /** Timed boots of the app and the peer on SQLite, each; 0 skips. */
  startupRuns: number;
  /** Seconds an idle app and peer are watched after boot, for V8's memory reducer; 0 = not. */
  idleWatchS: number;
  b3SessionCheck: boolean;
  appNodeArgs: string[];
  /** The app build to measure: this tree's, or another's for an A/B of two builds. */
  appMain: string;
  pgUrl: string;
  redisUrl: string;
  pgRedis: boolean;
  keepTmp: boolean;
  strict: boolean;
  pin: boolean;
  serverCpu: string;
  loadCpu: string;
}

export function readConfig(env: Env = process.env, cores = availableParallelism()): BenchConfig {
  const backends = list(env, 'BENCH_BACKENDS', BACKENDS, BACKENDS);
  const rssDuration = seconds(env, 'BENCH_RSS_DURATION', 90, { allowZero: true });
  return {
    backends,
    scenarios: list(env, 'BENCH_SCENARIOS', SCENARIOS, SCENARIOS),
    duration: seconds(env, 'BENCH_DURATION', 4),
    rounds: integer(env, 'BENCH_ROUNDS', 3),
    warmup: seconds(env, 'BENCH_WARMUP', 2),
    connections: integer(env, 'BENCH_CONNECTIONS', 10),
    rssDuration,
    rssBackends: rssDuration
      ? list(env, 'BENCH_RSS_BACKENDS', ['sqlite'], BACKENDS).filter((b) => backends.includes(b))
      : [],
    profileTargets: list<ProfileTarget>(
      env,
      'BENCH_PROFILE',
      [],
      BACKENDS.flatMap((b) => SCENARIOS.map((s) => `${b}:${s}` as const)),
    ),
    profileDuration: seconds(env, 'BENCH_PROFILE_DURATION', 15),
    // The peer runs on SQLite only (better-sqlite3, the app's default database).
    peer: env.BENCH_PEER !== '0' && backends.includes('sqlite'),
    startupRuns: backends.includes('sqlite') ? integer(env, 'BENCH_STARTUP_RUNS', 5, 0) : 0,
    idleWatchS: backends.includes('sqlite') ? seconds(env, 'BENCH_IDLE_WATCH', 90, { allowZero: true }) : 0,
    b3SessionCheck: env.BENCH_B3_SESSION_CHECK === '1',
    // Extra node flags for the app processes only, e.g. "--trace-gc" or "--import ./my-probe.mjs".
    // Relative paths are taken from where the bench was started (the app runs in a temp directory).
    appNodeArgs: (env.BENCH_APP_NODE_ARGS ?? '')
      .split(/\s+/)
      .filter(Boolean)
      .map((arg) => (/^\.\.?\//.test(arg) ? resolve(arg) : arg)),
    // Another build's main.js (e.g. a worktree of an older commit, built): an A/B of two builds
    // under the same harness, baselines and peer.
    appMain: env.BENCH_APP_MAIN ? resolve(env.BENCH_APP_MAIN) : APP_MAIN,
    pgUrl: (env.BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432').replace(/\/+$/, ''),
    redisUrl: env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379',
    // BENCH_PG_REDIS=0 runs the app on PostgreSQL with in-process counters: what Redis costs.
    pgRedis: env.BENCH_PG_REDIS !== '0',
    keepTmp: env.BENCH_KEEP_TMP === '1',
    strict: env.BENCH_STRICT === '1',
    // Server processes on one core, the load generator on another (when taskset exists).
    pin: env.BENCH_PIN !== '0' && cores >= 2,
    serverCpu: env.BENCH_SERVER_CPU ?? '1',
    loadCpu: env.BENCH_LOAD_CPU ?? '0',
  };
}
