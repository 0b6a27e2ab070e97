import type { ConfigType } from '@nestjs/config';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import {
  LogController,
  type ConnectionError,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
} from 'fastify';
import helmet, { type HelmetOptions } from 'helmet';
import { IncomingMessage, ServerResponse, STATUS_CODES } from 'node:http';
import { Socket } from 'node:net';
import { setUpApiDocs } from './api-docs';
import { createFormBodyParser, FORM_MEDIA_TYPE } from './common/body-formats';
import { clientIp, maskIp } from './common/client-ip';
import type { ErrorCode } from './common/errors/error-codes';
import { ProblemDetailsFilter, problemBody, sendProblem } from './common/errors/problem-details.filter';
import { createJsonBodyParser } from './common/json-body.parser';
import { lazySchemaCompilers } from './common/schema-compilers';
import { discardUnreadBody } from './common/unread-body';
import { createValidationPipe } from './common/validation.pipe';
import { createLogger, requestId } from './common/logger';
import { appConfig } from './config';
import { MetricsService } from './metrics/metrics.service';

/**
 * The HTTP server options that must exist before Nest does, from the validated app namespace
 * (main.ts passes loadConfig().app; reading the namespace here is for callers without one).
 */
export function createFastifyAdapter(config: ConfigType<typeof appConfig> = appConfig()): FastifyAdapter {
  const { bodyLimit, trustProxy, logLevel, requestTimeoutMs, keepAliveTimeoutMs } = config;
  // Node refuses a headers deadline past the whole request's; the headers are part of the request.
  const headersTimeoutMs = Math.min(config.headersTimeoutMs, requestTimeoutMs);
  return new FastifyAdapter({
    bodyLimit,
    trustProxy,
    // Slow clients (a body trickled a byte at a time) must not hold connections open for ever.
    requestTimeout: requestTimeoutMs,
    keepAliveTimeout: keepAliveTimeoutMs,
    http: {
      requestTimeout: requestTimeoutMs,
      headersTimeout: headersTimeoutMs,
      // How often Node checks both deadlines: by default every 30 s, which would let them overrun by as much.
      connectionsCheckingInterval: 1000,
    },
    clientErrorHandler: answerClientError,
    // A path the router cannot decode (`%zz`) or an id past maxParamLength names no resource: a
    // problem like any other 404, not Fastify's own JSON.
    frameworkErrors: (_error: Error, request: FastifyRequest, reply: FastifyReply) =>
      sendProblem(request, reply, { code: 'not_found' }),
    routerOptions: { ignoreTrailingSlash: true },
    loggerInstance: createLogger(logLevel),
    genReqId: requestId,
    // One line per request, written by the onResponse hook below with the route template.
    logController: new LogController({ disableRequestLogging: true }),
    schemaController: lazySchemaCompilers,
  });
}

/** The security headers of each configured server, for the answers Node asks for before any hook runs. */
const SECURITY_HEADERS = new WeakMap<FastifyInstance, Record<string, string>>();

interface ClientErrorAnswer {
  status: number;
  code: ErrorCode;
  detail: string;
}

/** Node's errors by code; statuses without a code of their own get `bad_request`, as in ProblemDetailsFilter. */
const CLIENT_ERRORS: Record<string, ClientErrorAnswer> = {
  ERR_HTTP_REQUEST_TIMEOUT: { status: 408, code: 'bad_request', detail: 'The request did not arrive in time.' },
  HPE_HEADER_OVERFLOW: { status: 431, code: 'bad_request', detail: 'The request headers are too large.' },
  HPE_CHUNK_EXTENSIONS_OVERFLOW: {
    status: 413,
    code: 'payload_too_large',
    detail: 'The chunk extensions are too large.',
  },
};
const MALFORMED: ClientErrorAnswer = { status: 400, code: 'bad_request', detail: 'The request is not valid HTTP/1.1.' };
/** The path of a request line that parsed, for `instance`; a request without one gets `/`. */
const REQUEST_LINE = /^[A-Z]{1,20} (\/[!-~]{0,2047}) HTTP\/1\.[01]\r\n/;

/**
 * Node's own rejections (malformed request line or headers, headers too large, a request past
 * HTTP_REQUEST_TIMEOUT), answered like every other error: a problem document with the security
 * headers, then the connection closed. The raw request is never logged: it may hold a token.
 */
function answerClientError(this: FastifyInstance, error: ConnectionError, socket: Socket): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const { status, code, detail } = CLIENT_ERRORS[error.code] ?? MALFORMED;
  this.log.debug({ code: error.code, ip: maskIp(socket.remoteAddress ?? '') }, 'client error');
  // As Node does: never write into a response already under way on this connection.
  const inFlight = (socket as Socket & { _httpMessage?: { headersSent: boolean } })._httpMessage;
  if (socket.writable && !inFlight?.headersSent) {
    const raw: unknown = error.rawPacket;
    const target = Buffer.isBuffer(raw) ? REQUEST_LINE.exec(raw.toString('latin1', 0, 2100))?.[1] : undefined;
    const payload = JSON.stringify(problemBody({ code, status, detail }, target ?? '/'));
    const headers: Record<string, string | number> = {
      ...SECURITY_HEADERS.get(this),
      'Cache-Control': 'no-store',
      'Content-Type': 'application/problem+json',
      'Content-Length': Buffer.byteLength(payload),
      Connection: 'close',
    };
    const head = Object.entries(headers).map(([name, value]) => `${name}: ${value}\r\n`);
    socket.write(`HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\n${head.join('')}\r\n${payload}`);
  }
  socket.destroy(error);
}

/**
 * Everything between creating the app and listening, shared by main.ts and the e2e tests so the
 * two can never drift: validation, problem details, body parsing and API docs.
 */
export async function configureApp(app: NestFastifyApplication): Promise<void> {
  app.useGlobalPipes(createValidationPipe());
  app.useGlobalFilters(new ProblemDetailsFilter());
  const fastify = app.getHttpAdapter().getInstance();
  const securityHeaders = helmetHeaders({
    // Tight enough for JSON, loose enough for Swagger UI's own stylesheet and images.
    contentSecurityPolicy: {
      directives: {
        defaultSrc: ["'self'"],
        styleSrc: ["'self'", "'unsafe-inline'"],
        imgSrc: ["'self'", 'data:'],
        // Would send a plain-HTTP development server's docs assets to https:// and break them.
        upgradeInsecureRequests: null,
      },
    },
  });
  SECURITY_HEADERS.set(fastify, securityHeaders);
  fastify.addHook('onRequest', (_request, reply, done) => {
    reply.headers(securityHeaders);
    done();
  });
  fastify.addHook('onSend', async (request, reply) => {
    reply.header('X-Request-Id', request.id);
    // Once the server stops listening (shutdown), keep-alive connections would hold close() open
    // until they time out; ending each one after its response lets the drain finish promptly.
    if (!fastify.server.listening) reply.header('Connection', 'close');
    // Tokens, codes and profiles must never sit in a browser or proxy cache.
    if (!request.url.startsWith('/api/docs')) reply.header('Cache-Control', 'no-store');
    // A body answered unread (413 on its Content-Length, 415) is still arriving: closing now would
    // reset the connection under a client still writing it, which then never reads this answer.
    if (!request.raw.complete && !(await discardUnreadBody(request.raw))) reply.header('Connection', 'close');
  });
  const metrics = app.get(MetricsService);
  // Not even built when LOG_LEVEL filters it out: clientIp() and maskIp() are work on every request.
  const logsRequests = ['trace', 'debug', 'info'].includes(fastify.log.level);
  fastify.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    const seconds = reply.elapsedTime / 1000;
    metrics.httpRequest(request.method, route, reply.statusCode, seconds);
    if (!logsRequests) return;
    request.log.info(
      {
        method: request.method,
        route,
        status: reply.statusCode,
        durationMs: Math.round(reply.elapsedTime),
        ip: maskIp(clientIp(request)),
      },
      'request completed',
    );
  });
  if (app.get<ConfigType<typeof appConfig>>(appConfig.KEY).apiDocsEnabled) setUpApiDocs(app);
  await app.init();
  // Only JSON bodies are accepted, and forms on the routes that ask for them (AcceptsFormBody): text
  // and the rest get 415 instead of reaching validation.
  fastify.removeAllContentTypeParsers();
  fastify.addContentTypeParser('application/json', { parseAs: 'string' }, createJsonBodyParser(fastify));
  fastify.addContentTypeParser(FORM_MEDIA_TYPE, { parseAs: 'string' }, createFormBodyParser());
  await fastify.ready();
}

/**
 * The headers helmet sets for these options, read once from a response that is never sent.
 * Without nonces they depend on the options alone, and building them per request (CSP parsing
 * included) was 2–4 % of the CPU under load.
 */
function helmetHeaders(options: HelmetOptions): Record<string, string> {
  const request = new IncomingMessage(new Socket());
  const response = new ServerResponse(request);
  // Bad options throw from helmet(); the middleware itself sets its headers and calls next() synchronously.
  helmet(options)(request, response, () => undefined);
  return Object.fromEntries(Object.entries(response.getHeaders()).map(([name, value]) => [name, String(value)]));
}
