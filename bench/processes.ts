// Child processes: every one the harness starts is tracked here and ended on exit, even on failure.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import type { RssSample } from './report';

const children = new Set<ChildProcess>();

const hasTaskset = spawnSync('taskset', ['-V'], { stdio: 'ignore' }).status === 0;

export const canPin = hasTaskset;

/** `taskset -c CPU command …` where taskset exists (it execs, so the pid stays the command's). */
export function pinnedCommand(cpu: string | undefined, command: string, args: string[]): [string, string[]] {
  return cpu !== undefined && hasTaskset ? ['taskset', ['-c', cpu, command, ...args]] : [command, args];
}

/** Ends `child` with the others on exit. */
export function track<T extends ChildProcess>(child: T): T {
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

/**
 * Moves a running process, all its threads, onto `cpu`; threads it starts later inherit that.
 * Servers boot on every core (boot is not measured) and are pinned once they answer.
 */
export function pinProcess(pid: number, cpu: string | undefined): boolean {
  if (cpu === undefined || !hasTaskset) return false;
  return spawnSync('taskset', ['-a', '-p', '-c', cpu, String(pid)], { stdio: 'ignore' }).status === 0;
}

export interface Proc {
  name: string;
  child: ChildProcess;
  logFile: string;
  exited: boolean;
  exitCode: number | string | null;
}

export interface StartOptions {
  name: string;
  command: string;
  args: string[];
  env: Record<string, string>;
  cwd: string;
  logFile: string;
}

/** Starts a tracked child; its output goes to `logFile` (no pipes to drain under load). */
export function startProcess({ name, command, args, env, cwd, logFile }: StartOptions): Proc {
  const fd = openSync(logFile, 'a');
  const child = spawn(command, args, { env, cwd, stdio: ['ignore', fd, fd] });
  closeSync(fd);
  const proc: Proc = { name, child, logFile, exited: false, exitCode: null };
  child.on('exit', (code, signal) => {
    proc.exited = true;
    proc.exitCode = code ?? signal;
  });
  track(child);
  return proc;
}

export function tail(file: string, lines = 20): string {
  if (!existsSync(file)) return '';
  return readFileSync(file, 'utf8').trim().split('\n').slice(-lines).join('\n');
}

/**
 * Polls `url` every `intervalMs` until it answers 200; gives up after `timeoutMs` or when the
 * process dies.
 */
export async function waitReady(
  proc: Proc,
  url: string,
  { timeoutMs = 120_000, intervalMs = 150 }: { timeoutMs?: number; intervalMs?: number } = {},
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (proc.exited) throw new Error(`${proc.name} exited (${proc.exitCode}) while starting:\n${tail(proc.logFile)}`);
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(2_000) });
      if (response.status === 200) return;
    } catch {
      // Not listening yet.
    }
    await sleep(intervalMs);
  }
  throw new Error(`${proc.name} did not answer ${url} within ${timeoutMs} ms:\n${tail(proc.logFile)}`);
}

/** `promise`'s value, or 'timeout' after `ms`; the timer never outlives the race. */
export async function within<T>(promise: Promise<T>, ms: number): Promise<T | 'timeout'> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), ms)));
  try {
    return await Promise.race([promise, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

function stopChild(child: ChildProcess, graceMs: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return (async () => {
    const exited = new Promise((done) => child.once('exit', done));
    child.kill('SIGTERM');
    if ((await within(exited, graceMs)) === 'timeout') {
      child.kill('SIGKILL');
      await within(exited, 2_000);
    }
  })();
}

/** SIGTERM, then SIGKILL if it is still alive after `graceMs`. */
export async function stopProcess(proc: Proc, graceMs = 10_000): Promise<void> {
  if (!proc.exited) await stopChild(proc.child, graceMs);
}

export async function stopAll(): Promise<void> {
  await Promise.all([...children].map((child) => stopChild(child, 10_000)));
}

/** Last resort from a synchronous `exit` handler. */
export function killAllNow(): void {
  for (const child of children) child.kill('SIGKILL');
}

/**
 * Ports below Linux's ephemeral range (32768–60999 by default), each handed out once a run: a port
 * the kernel picked for a listener and freed again could be given to an outgoing connection (a
 * pool's, the load generator's) before the server that was to listen on it starts.
 */
const PORTS = { first: 20_000, last: 32_000 };
let nextPort = PORTS.first + Math.floor(Math.random() * (PORTS.last - PORTS.first));

export async function freePort(): Promise<number> {
  for (let tries = 0; tries < PORTS.last - PORTS.first; tries++) {
    const port = nextPort;
    nextPort = port + 1 > PORTS.last ? PORTS.first : port + 1;
    if (await canListen(port)) return port;
  }
  throw new Error(`no free port in ${PORTS.first}–${PORTS.last}`);
}

function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** Resident and peak resident set size of a live process, in MiB, from /proc (or ps, without the peak). */
export function memoryOf(pid: number): { rssMb: number; peakMb: number } {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
    return { rssMb: kb('VmRSS') / 1024, peakMb: kb('VmHWM') / 1024 };
  } catch {
    const ps = spawnSync('ps', ['-o', 'rss=', '-p', String(pid)], { encoding: 'utf8' });
    const rssMb = Number(ps.stdout.trim()) / 1024;
    return { rssMb: Number.isFinite(rssMb) ? rssMb : NaN, peakMb: NaN };
  }
}

/** Reads a process's RSS once a second until `stop()`; each reading is seconds after the start. */
export function recordRss(pid: number): { samples: RssSample[]; stop: () => void } {
  const samples: RssSample[] = [];
  const begin = Date.now();
  const timer = setInterval(
    () => samples.push({ atS: (Date.now() - begin) / 1000, rssMb: memoryOf(pid).rssMb }),
    1_000,
  );
  return { samples, stop: () => clearInterval(timer) };
}
