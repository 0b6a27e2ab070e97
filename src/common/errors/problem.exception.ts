import { HttpException } from '@nestjs/common';
import { ERROR_CODES, type ErrorCode } from './error-codes';

export interface FieldError {
  field: string;
  message: string;
}

export interface ProblemOptions {
  detail?: string;
  errors?: FieldError[];
  /** Seconds; sent as `Retry-After`. */
  retryAfter?: number;
  /** The underlying failure, for the log; never sent to the client. */
  cause?: unknown;
}

/** The one exception the application throws on purpose; the filter turns it into RFC 9457 JSON. */
export class ProblemException extends HttpException {
  readonly code: ErrorCode;
  readonly problem: ProblemOptions;

  constructor(code: ErrorCode, problem: ProblemOptions = {}) {
    // An answer, not a fault: nobody reads its stack, and capturing one was a measurable share of
    // what a refused request costs (docs/benchmarks.md, "Cheap refusals").
    const stackTraceLimit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    super(problem.detail ?? ERROR_CODES[code].detail, ERROR_CODES[code].status, { cause: problem.cause });
    Error.stackTraceLimit = stackTraceLimit;
    this.code = code;
    this.problem = problem;
  }
}
