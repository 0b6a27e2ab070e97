import { ConsoleLogger, Logger } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { setTimeout as sleep } from 'node:timers/promises';
import { inspect } from 'node:util';
import pino from 'pino';

const LEVELS = ['log', 'error', 'warn', 'debug', 'verbose', 'fatal'] as const;
const CONSOLE = ['log', 'info', 'warn', 'error', 'debug', 'trace'] as const;

export interface LogCapture {
  /** Everything written so far, one entry per call, arguments joined by spaces. */
  readonly lines: string[];
  restore(): void;
}

const render = (args: unknown[]): string =>
  args.map((arg) => (typeof arg === 'string' ? arg : inspect(arg, { depth: 5 }))).join(' ');

/**
 * Records every log call the app makes, whatever level the test app's logger lets through:
 * Nest's `Logger` (instances and static), `ConsoleLogger`, `console.*` and raw writes to
 * stdout/stderr. Calls still go through to the originals. Given the app, also every line of its
 * own pino logger (the request log, the problem filter's lines), at every level while capturing.
 */
export function captureLogs(app?: NestFastifyApplication): LogCapture {
  const lines: string[] = [];
  const spies: jest.SpyInstance[] = [];
  const appLog = app?.getHttpAdapter().getInstance().log;
  const appLevel = appLog?.level;
  if (app && appLog) {
    appLog.level = 'trace';
    const stream = appLogStream(app);
    // Writing to process.stdout, its lines are recorded with stdout's below.
    if (stream !== process.stdout) {
      spies.push(jest.spyOn(stream, 'write').mockImplementation((line: string) => lines.push(`pino: ${line}`)));
    }
  }
  const record =
    (source: string) =>
    (...args: unknown[]): void => {
      lines.push(`${source}: ${render(args)}`);
    };

  for (const level of LEVELS) {
    const original = Logger.prototype[level];
    spies.push(
      jest.spyOn(Logger.prototype, level).mockImplementation(function (this: Logger, ...args: unknown[]) {
        record(`Logger.${level}`)(...args);
        return (original as (...a: unknown[]) => void).apply(this, args);
      }),
    );
    const originalStatic = Logger[level];
    spies.push(
      jest.spyOn(Logger, level).mockImplementation((...args: unknown[]) => {
        record(`Logger.static.${level}`)(...args);
        return (originalStatic as (...a: unknown[]) => void).apply(Logger, args);
      }),
    );
    const originalConsole = ConsoleLogger.prototype[level];
    spies.push(
      jest.spyOn(ConsoleLogger.prototype, level).mockImplementation(function (this: ConsoleLogger, ...args: unknown[]) {
        record(`ConsoleLogger.${level}`)(...args);
        return (originalConsole as (...a: unknown[]) => void).apply(this, args);
      }),
    );
  }
  for (const method of CONSOLE) {
    spies.push(jest.spyOn(console, method).mockImplementation(record(`console.${method}`)));
  }
  for (const stream of [process.stdout, process.stderr]) {
    const write = stream.write.bind(stream) as (...a: unknown[]) => boolean;
    spies.push(
      jest.spyOn(stream, 'write').mockImplementation((...args: unknown[]) => {
        record(stream === process.stdout ? 'stdout' : 'stderr')(String(args[0]));
        return write(...args);
      }),
    );
  }

  return {
    lines,
    restore: () => {
      spies.forEach((spy) => spy.mockRestore());
      if (appLog && appLevel) appLog.level = appLevel;
    },
  };
}

export interface AppLogCapture {
  /** Every JSON line the app's pino logger wrote so far, parsed. */
  readonly entries: Record<string, unknown>[];
  /** Waits (at most `withinMs`) until `count` entries match, and returns the matching ones. */
  waitFor(
    match: (entry: Record<string, unknown>) => boolean,
    count: number,
    withinMs?: number,
  ): Promise<Record<string, unknown>[]>;
  restore(): void;
}

/** The stream the app's own pino logger writes to directly, past Nest's loggers and console. */
function appLogStream(app: NestFastifyApplication): { write(line: string): unknown } {
  const log = app.getHttpAdapter().getInstance().log as unknown as Record<symbol, { write(line: string): unknown }>;
  return log[pino.symbols.streamSym];
}

/**
 * Records the JSON lines of the app's own pino logger (the request log, Fastify's lines) as
 * parsed entries, kept from stdout; the app must have been built with a LOG_LEVEL that lets them
 * through.
 */
export function captureAppLog(app: NestFastifyApplication): AppLogCapture {
  const entries: Record<string, unknown>[] = [];
  const spy = jest.spyOn(appLogStream(app), 'write').mockImplementation((line: string) => {
    entries.push(JSON.parse(line) as Record<string, unknown>);
    return true;
  });
  return {
    entries,
    waitFor: async (match, count, withinMs = 5_000) => {
      const deadline = Date.now() + withinMs;
      while (entries.filter(match).length < count && Date.now() < deadline) await sleep(20);
      return entries.filter(match);
    },
    restore: () => spy.mockRestore(),
  };
}
