import { ConsoleLogger, Logger } from '@nestjs/common';
import { inspect } from 'node:util';

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
 * stdout/stderr. Calls still go through to the originals.
 */
export function captureLogs(): LogCapture {
  const lines: string[] = [];
  const spies: jest.SpyInstance[] = [];
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

  return { lines, restore: () => spies.forEach((spy) => spy.mockRestore()) };
}
