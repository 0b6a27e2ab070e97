// Child processes: every one the harness starts is tracked here and ended on exit, even on failure.
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { clearTimeout, setTimeout } from 'node:timers';
import { setTimeout as sleep } from 'node:timers/promises';

const children = new Set();

const hasTaskset = spawnSync('taskset', ['-V'], { stdio: 'ignore' }).status === 0;

/** `taskset -c CPU command …` where taskset exists (it execs, so the pid stays the command's). */
export function pinnedCommand(cpu, command, args) {
  return cpu !== undefined && hasTaskset ? ['taskset', ['-c', String(cpu), command, ...args]] : [command, args];
}

export const canPin = hasTaskset;

/** Ends `child` with the others on exit. */
export function track(child) {
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

/**
 * Moves a running process, all its threads, onto `cpu`; threads it starts later inherit that.
 * Servers boot on every core (boot is not measured) and are pinned once they answer.
 */
export function pinProcess(pid, cpu) {
  if (cpu === undefined || !hasTaskset) return false;
  return spawnSync('taskset', ['-a', '-p', '-c', String(cpu), String(pid)], { stdio: 'ignore' }).status === 0;
}

/** Starts a tracked child; its output goes to `logFile` (no pipes to drain under load). */
export function startProcess({ name, command, args, env, cwd, logFile }) {
  const fd = openSync(logFile, 'a');
  const child = spawn(command, args, { env, cwd, stdio: ['ignore', fd, fd] });
  closeSync(fd);
  const proc = { name, child, logFile, exited: false, exitCode: null };
  child.on('exit', (code, signal) => {
    proc.exited = true;
    proc.exitCode = code ?? signal;
  });
  track(child);
  return proc;
}

export function tail(file, lines = 20) {
  if (!existsSync(file)) return '';
  return readFileSync(file, 'utf8').trim().split('\n').slice(-lines).join('\n');
}

/** Polls `url` until it answers 200; gives up after `timeoutMs` or when the process dies. */
export async function waitReady(proc, url, timeoutMs = 120_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (proc.exited) throw new Error(`${proc.name} exited (${proc.exitCode}) while starting:\n${tail(proc.logFile)}`);
    try {
      const response = await fetch(url, { signal: globalThis.AbortSignal.timeout(2_000) });
      if (response.status === 200) return;
    } catch {
      // Not listening yet.
    }
    await sleep(150);
  }
  throw new Error(`${proc.name} did not answer ${url} within ${timeoutMs} ms:\n${tail(proc.logFile)}`);
}

/** `promise`'s value, or 'timeout' after `ms`; the timer never outlives the race. */
export async function within(promise, ms) {
  let timer;
  const deadline = new Promise((resolve) => (timer = setTimeout(() => resolve('timeout'), ms)));
  try {
    return await Promise.race([promise, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

/** SIGTERM, then SIGKILL if it is still alive after `graceMs`. */
export async function stopProcess(proc, graceMs = 10_000) {
  if (proc.exited || proc.child.exitCode !== null || proc.child.signalCode !== null) return;
  const exited = new Promise((done) => proc.child.once('exit', done));
  proc.child.kill('SIGTERM');
  if ((await within(exited, graceMs)) === 'timeout') {
    proc.child.kill('SIGKILL');
    await within(exited, 2_000);
  }
}

export async function stopAll() {
  await Promise.all([...children].map((child) => stopProcess({ child, exited: false, name: 'child' })));
}

/** Last resort from a synchronous `exit` handler. */
export function killAllNow() {
  for (const child of children) child.kill('SIGKILL');
}

export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** Resident and peak resident set size of a live process, in MiB, from /proc (or ps, without the peak). */
export function memoryOf(pid) {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (field) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
    return { rssMb: kb('VmRSS') / 1024, peakMb: kb('VmHWM') / 1024 };
  } catch {
    const ps = spawnSync('ps', ['-o', 'rss=', '-p', String(pid)], { encoding: 'utf8' });
    const rssMb = Number(ps.stdout.trim()) / 1024;
    return { rssMb: Number.isFinite(rssMb) ? rssMb : NaN, peakMb: NaN };
  }
}
