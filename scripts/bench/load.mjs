#!/usr/bin/env node
// The load generator, its own process (pinned to its own core by the orchestrator). Started by
// drive.mjs it stays up and takes one spec at a time over IPC; by hand it runs one spec file:
//   node scripts/bench/load.mjs SPEC.json   → one JSON line on stdout
// SPEC: { url, method, path, headers, body?, connections, duration?, amount?, mode, … }
//   mode "static": the same request every time
//   mode "send":   POST {"phone_number"} with a fresh number per request (phoneStart, phoneCount)
//   mode "pairs":  POST {"phone_number", "otp_code"} from pairsFile, each pair once; stops when spent
// Latency is recorded per response with sub-millisecond precision (autocannon's own histogram
// keeps whole milliseconds and only 2xx answers); every answer counts, whatever its status.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { clearTimeout, setTimeout } from 'node:timers';
import { phoneAt } from './phones.mjs';

const require = createRequire(import.meta.url);
const autocannon = require('autocannon');

function run(spec) {
  return new Promise((resolve, reject) => {
    const latencies = [];
    let stoppedBy = 'duration';
    let instance;
    const pairs = spec.mode === 'pairs' ? JSON.parse(readFileSync(spec.pairsFile, 'utf8')) : undefined;
    const total = pairs ? pairs.length : spec.amount;
    const base = { method: spec.method, path: spec.path, headers: spec.headers };
    let next = 0;
    const request =
      spec.mode === 'static'
        ? { ...base, body: spec.body }
        : {
            ...base,
            setupRequest: (req) => {
              if (pairs) {
                // `amount` equals the number of pairs, so autocannon never asks for more than there are.
                const [phone, code] = pairs[Math.min(next++, pairs.length - 1)];
                req.body = JSON.stringify({ phone_number: phone, otp_code: code });
                return req;
              }
              if (next >= spec.phoneCount) {
                stoppedBy = 'exhausted';
                instance.stop();
                next = spec.phoneCount - 1;
              }
              req.body = JSON.stringify({ phone_number: phoneAt(spec.phoneStart + next++) });
              return req;
            },
          };
    // `amount` overrides `duration` in autocannon; a timed run with a pool stops at whichever comes first.
    const timer =
      total && spec.duration
        ? setTimeout(() => {
            stoppedBy = 'duration';
            instance.stop();
          }, spec.duration * 1000)
        : undefined;
    instance = autocannon(
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
        resolve(summarise(result, latencies, stoppedBy));
      },
    );
    instance.on('response', (_client, _status, _bytes, responseTime) => latencies.push(responseTime));
  });
}

function summarise(result, latencies, stoppedBy) {
  const sorted = Float64Array.from(latencies).sort();
  const at = (q) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] : NaN);
  const completed = result.requests.total;
  return {
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
    statusCodes: Object.fromEntries(Object.entries(result.statusCodeStats).map(([code, s]) => [code, s.count])),
    stoppedBy,
  };
}

if (process.send) {
  process.on('message', ({ id, spec }) => {
    run(spec).then(
      (result) => process.send({ id, result }),
      (error) => process.send({ id, error: error instanceof Error ? error.stack : String(error) }),
    );
  });
  process.on('disconnect', () => process.exit(0));
} else {
  const result = await run(JSON.parse(readFileSync(process.argv[2], 'utf8')));
  process.stdout.write(JSON.stringify(result) + '\n');
}
