// Settings shared by the orchestrator, the baselines and the load generator. Everything a user
// may change is an environment variable read here; docs/benchmarks.md lists them.
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const APP_MAIN = resolve(ROOT, 'dist/src/main.js');

/**
 * The node flags production runs with (`npm run start:prod`, docs/deployment.md): every server in
 * the bench, the app and the baselines alike, runs with them.
 */
export const NODE_FLAGS =
  JSON.parse(readFileSync(resolve(ROOT, 'package.json'), 'utf8')).scripts['start:prod'].match(/--\S+/g) ?? [];

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

const HUGE = '1000000000';

/**
 * The app as a user would run it from the production build, with every limit raised so the load
 * is answered by the real work and not by cheap 429s, the mock SMS provider that never fails and
 * writes no file, and warn-level logs.
 */
export function appEnvironment({ port, databaseUrl, redisUrl, redisKeyPrefix, outbox }) {
  return {
    NODE_ENV: 'development',
    HOST: '127.0.0.1',
    PORT: String(port),
    DATABASE_URL: databaseUrl,
    ...(redisUrl && { REDIS_URL: redisUrl, REDIS_KEY_PREFIX: redisKeyPrefix }),
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
    OTP_PHONE_FAILURE_LIMIT: HUGE,
    OTP_MAX_CONSECUTIVE_FAILURES: HUGE,
  };
}

/** Only what a process needs from the caller's environment: a stray DATABASE_URL or .env must not leak in. */
export function baseEnvironment() {
  const keep = ['PATH', 'HOME', 'LANG', 'TMPDIR', 'TZ'];
  return Object.fromEntries(keep.filter((name) => process.env[name] !== undefined).map((n) => [n, process.env[n]]));
}

function seconds(name, fallback) {
  const value = (process.env[name] ?? '').trim() || String(fallback);
  const match = /^(\d+(?:\.\d+)?)(s|m)?$/.exec(value);
  if (!match || Number(match[1]) <= 0)
    throw new Error(`${name}: expected seconds such as 10 or 10s or 2m, got "${value}"`);
  return Number(match[1]) * (match[2] === 'm' ? 60 : 1);
}

function integer(name, fallback, min = 1) {
  const value = (process.env[name] ?? '').trim() || String(fallback);
  if (!/^\d+$/.test(value) || Number(value) < min)
    throw new Error(`${name}: expected an integer >= ${min}, got "${value}"`);
  return Number(value);
}

function list(name, fallback, allowed) {
  const raw = process.env[name] === undefined ? fallback : process.env[name];
  const items = raw
    .split(',')
    .map((item) => item.trim().toLowerCase())
    .filter(Boolean);
  const unknown = items.find((item) => !allowed.includes(item));
  if (unknown) throw new Error(`${name}: unknown "${unknown}"; expected some of ${allowed.join(', ')}`);
  return items;
}

export const BACKENDS = ['sqlite', 'postgres'];
export const SCENARIOS = ['profile', 'verify-otp', 'send-otp'];

export function readConfig() {
  const backends = list('BENCH_BACKENDS', BACKENDS.join(','), BACKENDS);
  const profileTargets = list(
    'BENCH_PROFILE',
    '',
    BACKENDS.flatMap((b) => SCENARIOS.map((s) => `${b}:${s}`)),
  );
  const pin = process.env.BENCH_PIN !== '0' && availableParallelism() >= 2;
  return {
    backends,
    scenarios: list('BENCH_SCENARIOS', SCENARIOS.join(','), SCENARIOS),
    duration: seconds('BENCH_DURATION', 4),
    rounds: integer('BENCH_ROUNDS', 3),
    warmup: seconds('BENCH_WARMUP', 2),
    connections: integer('BENCH_CONNECTIONS', 10),
    rssDuration: seconds('BENCH_RSS_DURATION', 90),
    rssBackends: list('BENCH_RSS_BACKENDS', 'sqlite', BACKENDS).filter((b) => backends.includes(b)),
    profileTargets,
    profileDuration: seconds('BENCH_PROFILE_DURATION', 15),
    b3SessionCheck: process.env.BENCH_B3_SESSION_CHECK === '1',
    // Extra node flags for the app processes only, e.g. "--trace-gc" or "--import ./my-probe.mjs".
    // Relative paths are taken from where the bench was started (the app runs in a temp directory).
    appNodeArgs: (process.env.BENCH_APP_NODE_ARGS ?? '')
      .split(/\s+/)
      .filter(Boolean)
      .map((arg) => (/^\.\.?\//.test(arg) ? resolve(arg) : arg)),
    pgUrl: (process.env.BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432').replace(/\/+$/, ''),
    redisUrl: process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379',
    // BENCH_PG_REDIS=0 runs the app on PostgreSQL with in-process counters: what Redis costs.
    pgRedis: process.env.BENCH_PG_REDIS !== '0',
    keepTmp: process.env.BENCH_KEEP_TMP === '1',
    // Server processes on one core, the load generator on another (when taskset exists).
    pin,
    serverCpu: process.env.BENCH_SERVER_CPU ?? '1',
    loadCpu: process.env.BENCH_LOAD_CPU ?? '0',
  };
}
