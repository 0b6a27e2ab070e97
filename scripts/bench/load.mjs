#!/usr/bin/env node
// The load generator, run as its own process (pinned to its own core by the orchestrator):
//   node scripts/bench/load.mjs SPEC.json   → one JSON line on stdout
// SPEC: { url, method, path, headers, body?, connections, duration, mode, … }
//   mode "static": the same request every time
//   mode "send":   POST {"phone_number"} with a fresh number per request (phoneStart, phoneCount)
//   mode "pairs":  POST {"phone_number", "otp_code"} from pairsFile, each pair once; stops when spent
// Latency is recorded per response with sub-millisecond precision (autocannon's own histogram
// keeps whole milliseconds and only 2xx answers); every answer counts, whatever its status.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { clearTimeout, setTimeout as delay } from 'node:timers';
import { phoneAt } from './phones.mjs';

const require = createRequire(import.meta.url);
const autocannon = require('autocannon');

const spec = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const latencies = [];
let stoppedBy = 'duration';

function requestFor() {
  const base = { method: spec.method, path: spec.path, headers: spec.headers };
  if (spec.mode === 'static') return { ...base, body: spec.body };
  if (spec.mode === 'send') {
    let next = 0;
    return {
      ...base,
      setupRequest: (request) => {
        if (next >= spec.phoneCount) {
          stoppedBy = 'exhausted';
          instance.stop();
          next = spec.phoneCount - 1;
        }
        request.body = JSON.stringify({ phone_number: phoneAt(spec.phoneStart + next++) });
        return request;
      },
    };
  }
  const pairs = JSON.parse(readFileSync(spec.pairsFile, 'utf8'));
  let next = 0;
  return {
    ...base,
    setupRequest: (request) => {
      // `amount` equals the number of pairs, so autocannon never asks for more than there are.
      const [phone, code] = pairs[Math.min(next++, pairs.length - 1)];
      request.body = JSON.stringify({ phone_number: phone, otp_code: code });
      return request;
    },
  };
}

function amount() {
  if (spec.mode === 'pairs') return JSON.parse(readFileSync(spec.pairsFile, 'utf8')).length;
  return spec.amount;
}

const total = amount();
const instance = autocannon({
  url: spec.url,
  connections: spec.connections,
  ...(spec.duration && { duration: spec.duration }),
  ...(total && { amount: total }),
  timeout: 10,
  requests: [requestFor()],
});
instance.on('response', (_client, _status, _bytes, responseTime) => latencies.push(responseTime));
// `amount` overrides `duration` in autocannon; a timed run with a pool stops at whichever comes first.
const timer =
  total && spec.duration
    ? delay(() => {
        stoppedBy = 'duration';
        instance.stop();
      }, spec.duration * 1000)
    : undefined;

instance.on('done', (result) => {
  clearTimeout(timer);
  if (total && result.requests.total >= total && stoppedBy === 'duration') stoppedBy = 'amount';
  const sorted = Float64Array.from(latencies).sort();
  const at = (q) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] : NaN);
  const completed = result.requests.total;
  const statusCodes = Object.fromEntries(Object.entries(result.statusCodeStats).map(([code, s]) => [code, s.count]));
  process.stdout.write(
    JSON.stringify({
      requests: completed,
      durationS: result.duration,
      rps: completed / result.duration,
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
      statusCodes,
      stoppedBy,
    }) + '\n',
  );
});
