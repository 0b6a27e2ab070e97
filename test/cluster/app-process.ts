import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** When the process ended, Date.now(). */
  at: number;
}

export interface CallOptions {
  body?: unknown;
  token?: string;
  /** Sent as X-Forwarded-For; the processes run with TRUST_PROXY=true, as behind a load balancer. */
  ip?: string;
  headers?: Record<string, string>;
}

export interface Answer {
  status: number;
  headers: Headers;
  /** Parsed JSON when the answer is JSON, else undefined. */
  body: Record<string, unknown> | undefined;
  text: string;
}

const running = new Set<AppProcess>();

/**
 * One instance of the built app (`node dist/src/main.js`), its stdout and stderr kept line by
 * line. It listens on a port the OS picks (PORT=0), read from its "Listening on" log line, and
 * runs in an empty working directory so no developer `.env` or `data/` is picked up.
 */
export class AppProcess {
  readonly stdout: string[] = [];
  readonly stderr: string[] = [];
  readonly exited: Promise<Exit>;
  url = '';
  private readonly child: ChildProcess;
  private readonly cwd: string;

  private constructor(
    readonly name: string,
    main: string,
    env: Record<string, string>,
  ) {
    this.cwd = mkdtempSync(join(tmpdir(), `otp-auth-${name}-`));
    this.child = spawn(process.execPath, [main], {
      cwd: this.cwd,
      env: { PATH: process.env.PATH ?? '', HOST: '127.0.0.1', PORT: '0', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    collectLines(this.child.stdout!, this.stdout);
    collectLines(this.child.stderr!, this.stderr);
    this.exited = new Promise((resolve) =>
      this.child.once('exit', (code, signal) => {
        running.delete(this);
        rmSync(this.cwd, { recursive: true, force: true });
        resolve({ code, signal, at: Date.now() });
      }),
    );
    running.add(this);
  }

  /** Starts the process; {@link ready} waits for it. */
  static start(name: string, main: string, env: Record<string, string>): AppProcess {
    return new AppProcess(name, main, env);
  }

  /** Kills every process still running (SIGKILL); for afterAll, whatever happened before. */
  static async killAll(): Promise<void> {
    const left = [...running];
    left.forEach((app) => app.child.kill('SIGKILL'));
    await Promise.all(left.map((app) => app.exited));
  }

  get pid(): number {
    return this.child.pid!;
  }

  /** Waits until it listens and answers /health/ready 200; fails with its output if it exits first. */
  async ready(withinMs = 30_000): Promise<void> {
    const deadline = Date.now() + withinMs;
    let exit: Exit | undefined;
    void this.exited.then((e) => (exit = e));
    while (Date.now() < deadline && !exit) {
      this.url ||= listeningUrl(this.stdout);
      if (this.url) {
        const res = await fetch(`${this.url}/health/ready`).catch(() => undefined);
        if (res?.status === 200) return;
      }
      await sleep(50);
    }
    throw new Error(
      `${this.name} is not ready (${exit ? `exited ${exit.code ?? exit.signal}` : 'timed out'}):\n` +
        [...this.stdout, ...this.stderr].slice(-30).join('\n'),
    );
  }

  signal(signal: NodeJS.Signals): void {
    this.child.kill(signal);
  }

  /** One HTTP request; never throws for an HTTP status. */
  async call(method: string, path: string, options: CallOptions = {}): Promise<Answer> {
    const headers: Record<string, string> = { ...options.headers };
    if (options.body !== undefined) headers['content-type'] = 'application/json';
    if (options.token) headers.authorization = `Bearer ${options.token}`;
    if (options.ip) headers['x-forwarded-for'] = options.ip;
    const res = await fetch(this.url + path, {
      method,
      headers,
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
    });
    const text = await res.text();
    const json =
      /json/.test(res.headers.get('content-type') ?? '') && text ? (JSON.parse(text) as Answer['body']) : undefined;
    return { status: res.status, headers: res.headers, body: json, text };
  }

  /** Every stdout line parsed as JSON; a line that is not JSON fails the test that asks. */
  jsonLogs(): Record<string, unknown>[] {
    return this.stdout.map((line) => {
      try {
        return JSON.parse(line) as Record<string, unknown>;
      } catch {
        throw new Error(`${this.name} wrote a line to stdout that is not JSON: ${line}`);
      }
    });
  }
}

function collectLines(stream: NodeJS.ReadableStream, lines: string[]): void {
  let partial = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    const parts = (partial + chunk).split('\n');
    partial = parts.pop() ?? '';
    lines.push(...parts.filter((line) => line.trim()));
  });
  stream.on('end', () => {
    if (partial.trim()) lines.push(partial);
  });
}

/** The origin from the app's "Listening on http://127.0.0.1:PORT; …" log line. */
function listeningUrl(stdout: string[]): string {
  for (const line of stdout) {
    const match = /Listening on (http:\/\/[\d.]+:\d+)/.exec(line);
    if (match) return match[1];
  }
  return '';
}
