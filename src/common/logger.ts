import type { LoggerService } from '@nestjs/common';
import type { FastifyBaseLogger } from 'fastify';
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import pino, { type Logger } from 'pino';
import type { LogLevel } from '../config/app.config';

const PINO_LEVEL: Record<LogLevel, pino.Level> = {
  fatal: 'fatal',
  error: 'error',
  warn: 'warn',
  info: 'info',
  debug: 'debug',
  verbose: 'trace',
};

/**
 * One JSON line per event on stdout. Tokens and codes never reach a log call on purpose; the
 * redaction is the second line of defence should a header or body ever be logged whole.
 */
export function createLogger(level: LogLevel): Logger {
  return pino({
    level: PINO_LEVEL[level],
    base: { pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: {
      paths: ['req.headers.authorization', '*.otp_code', '*.captcha_token', '*.refresh', '*.access', '*.tokens'],
      censor: '[redacted]',
    },
  });
}

const REQUEST_ID = /^[\w.:-]{1,128}$/;

/** The caller's `X-Request-Id` when it is a sane token, else a fresh UUID; echoed on the response. */
export function requestId(request: IncomingMessage): string {
  const header = request.headers['x-request-id'];
  return typeof header === 'string' && REQUEST_ID.test(header) ? header : randomUUID();
}

/**
 * Nest's own messages (boot, jobs, the services' warnings, the mock SMS) through the same pino
 * logger. They carry no `reqId`: a line about a request goes through the request's own logger
 * (`request.log`: the request log, the problem filter), which has it. Finding it from anywhere
 * else would need an AsyncLocalStorage, whose async hooks slow every promise on Node 20
 * (docs/benchmarks.md, "Request ids without AsyncLocalStorage").
 */
export class PinoLoggerService implements LoggerService {
  constructor(private readonly logger: FastifyBaseLogger) {}

  log(message: unknown, context?: string) {
    this.logger.info({ context }, String(message));
  }

  error(message: unknown, trace?: string, context?: string) {
    this.logger.error({ context, trace }, String(message));
  }

  warn(message: unknown, context?: string) {
    this.logger.warn({ context }, String(message));
  }

  debug(message: unknown, context?: string) {
    this.logger.debug({ context }, String(message));
  }

  verbose(message: unknown, context?: string) {
    this.logger.trace({ context }, String(message));
  }

  fatal(message: unknown, context?: string) {
    this.logger.fatal({ context }, String(message));
  }
}
