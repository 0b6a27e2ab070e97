import { ArgumentsHost, Catch, ExceptionFilter, HttpException, HttpStatus } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { isDatabaseUnavailable } from '../../database/database-errors';
import { ERROR_CODES, type ErrorCode } from './error-codes';
import { ProblemException, type FieldError } from './problem.exception';

export interface ProblemBody {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: ErrorCode;
  instance: string;
  errors?: FieldError[];
}

interface Problem {
  code: ErrorCode;
  status: number;
  detail: string;
  errors?: FieldError[];
  retryAfter?: number;
}

const CODE_BY_STATUS: Partial<Record<number, ErrorCode>> = {
  [HttpStatus.BAD_REQUEST]: 'bad_request',
  [HttpStatus.UNAUTHORIZED]: 'unauthorized',
  [HttpStatus.NOT_FOUND]: 'not_found',
  [HttpStatus.METHOD_NOT_ALLOWED]: 'method_not_allowed',
  [HttpStatus.PAYLOAD_TOO_LARGE]: 'payload_too_large',
  [HttpStatus.UNSUPPORTED_MEDIA_TYPE]: 'unsupported_media_type',
  [HttpStatus.TOO_MANY_REQUESTS]: 'rate_limited',
  [HttpStatus.SERVICE_UNAVAILABLE]: 'service_unavailable',
};

function fromCode(code: ErrorCode, status: number = ERROR_CODES[code].status): Problem {
  return { code, status, detail: ERROR_CODES[code].detail };
}

function toProblem(exception: unknown): Problem {
  if (exception instanceof ProblemException) {
    const { errors, retryAfter } = exception.problem;
    return { code: exception.code, status: exception.getStatus(), detail: exception.message, errors, retryAfter };
  }
  if (isDatabaseUnavailable(exception)) {
    return {
      ...fromCode('service_unavailable'),
      detail: 'The database is unavailable. Try again in a moment.',
      retryAfter: 5,
    };
  }
  // The Fastify adapter hands its own 4xx errors (body limit, content type) over as HttpExceptions.
  const status = exception instanceof HttpException ? exception.getStatus() : 500;
  if (status >= 500) return fromCode(status === 503 ? 'service_unavailable' : 'internal_error');
  return fromCode(CODE_BY_STATUS[status] ?? 'bad_request', status);
}

function route(request: FastifyRequest): string {
  return request.routeOptions?.url ?? 'unmatched route';
}

/**
 * Turns every error, ours, Nest's and Fastify's, into an RFC 9457 problem document. A 5xx never
 * carries the exception's message: internals stay in the log. The log lines go through the
 * request's own logger, so they carry its `reqId` as Fastify's lines do; a service that learns
 * why a request fails (a provider's answer) gives it as the problem's `cause`, for this one line.
 */
@Catch()
export class ProblemDetailsFilter implements ExceptionFilter {
  catch(exception: unknown, host: ArgumentsHost): void {
    const request = host.switchToHttp().getRequest<FastifyRequest>();
    const reply = host.switchToHttp().getResponse<FastifyReply>();
    const problem = toProblem(exception);
    const fields = { context: ProblemDetailsFilter.name };
    const cause =
      exception instanceof ProblemException && exception.cause instanceof Error ? exception.cause : undefined;
    if (isDatabaseUnavailable(exception)) {
      request.log.warn(
        fields,
        `${request.method} ${route(request)}: database unavailable (${(exception as Error).message})`,
      );
    } else if (cause || (exception instanceof ProblemException && problem.status >= 500)) {
      // An outage we detected and answered on purpose, or a refusal with a reason: one line, with it.
      request.log.warn(
        fields,
        `${request.method} ${route(request)}: ${problem.code}${cause ? ` (${cause.message})` : ''}`,
      );
    } else if (problem.status >= 500) {
      const trace = exception instanceof Error ? exception.stack : String(exception);
      request.log.error({ ...fields, trace }, `${request.method} ${route(request)} failed`);
    }

    sendProblem(request, reply, problem);
  }
}

/** The RFC 9457 document of a problem answered to a request for `url` (its path is the `instance`). */
export function problemBody(
  { code, status, detail, errors }: Pick<Problem, 'code' | 'status' | 'detail' | 'errors'>,
  url: string,
): ProblemBody {
  return {
    type: `/problems/${code}`,
    title: ERROR_CODES[code].title,
    status,
    detail,
    code,
    instance: url.split('?')[0],
    ...(errors && { errors }),
  };
}

/**
 * Answers with the problem document of `problem`; the code's own status and detail unless given.
 * The filter's one way of writing an answer, also used by hooks that refuse a request early.
 */
export function sendProblem(
  request: FastifyRequest,
  reply: FastifyReply,
  problem: Pick<Problem, 'code'> & Partial<Problem>,
): void {
  const { code, status = ERROR_CODES[code].status, detail = ERROR_CODES[code].detail, errors, retryAfter } = problem;
  const body = problemBody({ code, status, detail, errors }, request.url);
  if (retryAfter !== undefined) reply.header('Retry-After', String(retryAfter));
  void reply.status(status).header('Content-Type', 'application/problem+json').send(body);
}
