// The load generator, its own process (pinned to its own core by the orchestrator). Started by
// drive.ts it stays up and takes one spec at a time over IPC; by hand it runs one spec file:
//   node dist/bench/load.js SPEC.json   → one JSON line on stdout
// Latency is recorded per response with sub-millisecond precision (autocannon's own histogram
// keeps whole milliseconds and only 2xx answers); every answer counts, whatever its status, and
// every answer's status and body are checked against the spec's `check` (checks.ts).
import autocannon from 'autocannon';
import { readFileSync } from 'node:fs';
import type { RequestFields } from './apis';
import { checkAnswer, describeWrongAnswer, type BodyCheck } from './checks';
import { phoneAt } from './phones';
import type { CodePair } from './seed';

interface BaseSpec {
  url: string;
  method: 'GET' | 'POST';
  path: string;
  headers: Record<string, string>;
  connections: number;
  /** Seconds; with `amount` or a pool, whichever ends first. */
  duration?: number;
  /** What every answer must be; one that is not counts in `wrongAnswers`. */
  check: BodyCheck;
}

/** The same request every time. */
export interface StaticSpec extends BaseSpec {
  mode: 'static';
  body?: string;
}

/** POST {phone} with a fresh number per request, phone indices `phoneStart…+phoneCount`. */
export interface SendSpec extends BaseSpec {
  mode: 'send';
  fields: RequestFields;
  phoneStart: number;
  phoneCount: number;
  /** When the numbers are spent, start over from `phoneStart` instead of stopping (one prefix's numbers). */
  repeat?: boolean;
  amount?: number;
}

/** POST {phone, code} from `pairsFile`, each pair once; stops when they are spent. */
export interface PairsSpec extends BaseSpec {
  mode: 'pairs';
  fields: RequestFields;
  pairsFile: string;
}

export type LoadSpec = StaticSpec | SendSpec | PairsSpec;

export interface LatencySummary {
  p50: number;
  p90: number;
  p99: number;
  p999: number;
  max: number;
  mean: number;
}

/** Why a run ended: its duration, its fixed amount, or its pool of numbers running out. */
export type StoppedBy = 'duration' | 'amount' | 'exhausted';

export interface LoadResult {
  requests: number;
  durationS: number;
  rps: number;
  /** NaN for a run without a single answer (null once it has crossed the IPC channel). */
  latencyMs: LatencySummary;
  errors: number;
  timeouts: number;
  non2xx: number;
  /** Answers the spec's check refused (wrong status, wrong body), whatever their status. */
  wrongAnswers: number;
  /** The first few of them, with their reason. */
  wrongAnswerSamples: string[];
  statusCodes: Record<string, number>;
  stoppedBy: StoppedBy;
}

const WRONG_ANSWER_SAMPLES = 5;

/** Counts the answers `check` refuses and keeps a few of them. */
class AnswerChecker {
  wrong = 0;
  readonly samples: string[] = [];

  constructor(private readonly check: BodyCheck) {}

  readonly onResponse = (
    status: number,
    body: string,
    context: Record<string, unknown>,
    headers: Record<string, string | string[]>,
  ) => {
    const answer = { status, body, headers };
    const reason = checkAnswer(this.check, answer, context.phone as string | undefined);
    if (reason === undefined) return;
    this.wrong++;
    if (this.samples.length < WRONG_ANSWER_SAMPLES) this.samples.push(describeWrongAnswer(reason, answer));
  };
}

/** Message from the orchestrator, and the answer to it. */
export interface LoadRequest {
  id: number;
  spec: LoadSpec;
}
export type LoadReply = { id: number; result: LoadResult; error?: undefined } | { id: number; error: string };

function run(spec: LoadSpec): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    const latencies: number[] = [];
    let stoppedBy: StoppedBy = 'duration';
    const pairs = spec.mode === 'pairs' ? (JSON.parse(readFileSync(spec.pairsFile, 'utf8')) as CodePair[]) : undefined;
    const total = pairs ? pairs.length : spec.mode === 'send' ? spec.amount : undefined;
    const checker = new AnswerChecker(spec.check);
    const base = { method: spec.method, path: spec.path, headers: spec.headers, onResponse: checker.onResponse };
    let next = 0;
    let request: autocannon.Request;
    // The phone goes into the request's context too, for the check of its answer.
    if (spec.mode === 'static') request = { ...base, body: spec.body };
    else if (pairs) {
      const { fields } = spec as PairsSpec;
      request = {
        ...base,
        setupRequest: (req, context) => {
          // `amount` equals the number of pairs, so autocannon never asks for more than there are.
          const [phone, code] = pairs[Math.min(next++, pairs.length - 1)];
          context.phone = phone;
          req.body = JSON.stringify({ [fields.phone]: phone, [fields.code]: code });
          return req;
        },
      };
    } else {
      const { phoneStart, phoneCount, fields, repeat } = spec as SendSpec;
      request = {
        ...base,
        setupRequest: (req, context) => {
          if (next >= phoneCount && repeat) next = 0;
          else if (next >= phoneCount) {
            stoppedBy = 'exhausted';
            instance.stop();
            next = phoneCount - 1;
          }
          const phone = phoneAt(phoneStart + next++);
          context.phone = phone;
          req.body = JSON.stringify({ [fields.phone]: phone });
          return req;
        },
      };
    }
    // `amount` overrides `duration` in autocannon; a timed run with a pool stops at whichever comes first.
    const timer =
      total && spec.duration
        ? setTimeout(() => {
            stoppedBy = 'duration';
            instance.stop();
          }, spec.duration * 1000)
        : undefined;
    // autocannon notices the end of an `amount` only at its next one-second sample and reports that
    // as the duration, so a run that spent its pool early would be charged for up to a second of
    // idling: its rate is taken from its own first request to its last answer instead.
    const clock = { started: performance.now(), lastAnswer: NaN };
    const instance = autocannon(
      {
        url: spec.url,
        connections: spec.connections,
        ...(spec.duration && { duration: spec.duration }),
        ...(total && { amount: total }),
        timeout: 10,
        requests: [request],
      },
      (error, result) => {
        clearTimeout(timer);
        if (error) return reject(error);
        if (total && result.requests.total >= total && stoppedBy === 'duration') stoppedBy = 'amount';
        const activeS =
          stoppedBy === 'duration' || Number.isNaN(clock.lastAnswer)
            ? result.duration
            : (clock.lastAnswer - clock.started) / 1000;
        resolve(summarise(result, latencies, stoppedBy, checker, activeS));
      },
    );
    instance.on('response', (_client, _status, _bytes, responseTime) => {
      latencies.push(responseTime);
      clock.lastAnswer = performance.now();
    });
  });
}

/** `durationS`: how long the load ran, when that was not autocannon's whole duration. */
export function summarise(
  result: autocannon.Result,
  latencies: number[],
  stoppedBy: StoppedBy,
  checker: Pick<AnswerChecker, 'wrong' | 'samples'>,
  durationS = result.duration,
): LoadResult {
  const sorted = Float64Array.from(latencies).sort();
  const at = (q: number) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] : NaN);
  const completed = result.requests.total;
  return {
    requests: completed,
    durationS,
    rps: completed / durationS,
    latencyMs: {
      p50: at(0.5),
      p90: at(0.9),
      p99: at(0.99),
      p999: at(0.999),
      max: sorted.length ? sorted[sorted.length - 1] : NaN,
      mean: sorted.reduce((sum, value) => sum + value, 0) / (sorted.length || 1),
    },
    errors: result.errors,
    timeouts: result.timeouts,
    non2xx: result.non2xx,
    wrongAnswers: checker.wrong,
    wrongAnswerSamples: checker.samples,
    statusCodes: Object.fromEntries(Object.entries(result.statusCodeStats).map(([code, s]) => [code, s.count])),
    stoppedBy,
  };
}

function main(): void {
  const send = process.send?.bind(process);
  if (send) {
    process.on('message', ({ id, spec }: LoadRequest) => {
      run(spec).then(
        (result) => send({ id, result } satisfies LoadReply),
        (error: unknown) =>
          send({ id, error: error instanceof Error ? (error.stack ?? error.message) : String(error) }),
      );
    });
    process.on('disconnect', () => process.exit(0));
    return;
  }
  run(JSON.parse(readFileSync(process.argv[2], 'utf8')) as LoadSpec).then(
    (result) => process.stdout.write(JSON.stringify(result) + '\n'),
    (error: unknown) => {
      console.error(error);
      process.exitCode = 1;
    },
  );
}

if (require.main === module) main();
