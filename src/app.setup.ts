import helmet, { type FastifyHelmetOptions } from '@fastify/helmet';
import type { ConfigType } from '@nestjs/config';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import Fastify, { LogController } from 'fastify';
import { setUpApiDocs } from './api-docs';
import { ProblemDetailsFilter } from './common/errors/problem-details.filter';
import { createJsonBodyParser } from './common/json-body.parser';
import { createValidationPipe } from './common/validation.pipe';
import { createLogger, requestId } from './common/logger';
import { appConfig } from './config';
import { MetricsService } from './metrics/metrics.service';

/**
 * The HTTP server options that must exist before Nest does, from the validated app namespace
 * (main.ts passes loadConfig().app; reading the namespace here is for callers without one).
 */
export function createFastifyAdapter(config: ConfigType<typeof appConfig> = appConfig()): FastifyAdapter {
  const { bodyLimit, trustProxy, logLevel } = config;
  return new FastifyAdapter({
    bodyLimit,
    trustProxy,
    routerOptions: { ignoreTrailingSlash: true },
    loggerInstance: createLogger(logLevel),
    genReqId: requestId,
    // One line per request, written by the onResponse hook below with the route template.
    logController: new LogController({ disableRequestLogging: true }),
  });
}

/**
 * Everything between creating the app and listening, shared by main.ts and the e2e tests so the
 * two can never drift: validation, problem details, body parsing and API docs.
 */
export async function configureApp(app: NestFastifyApplication): Promise<void> {
  app.useGlobalPipes(createValidationPipe());
  app.useGlobalFilters(new ProblemDetailsFilter());
  const fastify = app.getHttpAdapter().getInstance();
  const securityHeaders = await helmetHeaders({
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
  });
  const metrics = app.get(MetricsService);
  fastify.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    const seconds = reply.elapsedTime / 1000;
    metrics.httpRequest(request.method, route, reply.statusCode, seconds);
    request.log.info(
      { method: request.method, route, status: reply.statusCode, durationMs: Math.round(reply.elapsedTime) },
      'request completed',
    );
  });
  if (app.get<ConfigType<typeof appConfig>>(appConfig.KEY).apiDocsEnabled) setUpApiDocs(app);
  await app.init();
  // Only JSON bodies are accepted: text, forms and the rest get 415 instead of reaching validation.
  fastify.removeAllContentTypeParsers();
  fastify.addContentTypeParser('application/json', { parseAs: 'string' }, createJsonBodyParser(fastify));
  await fastify.ready();
}

/**
 * The headers @fastify/helmet sets for these options, read once from a throw-away server. The
 * plugin builds a new helmet instance, CSP parsing included, on every request (2–4 % of the
 * CPU under load), although without nonces the headers depend on the options alone.
 */
async function helmetHeaders(options: FastifyHelmetOptions): Promise<Record<string, string>> {
  const probe = Fastify();
  await probe.register(helmet, options);
  let headers: Record<string, string> = {};
  probe.get('/', (_request, reply) => {
    headers = Object.fromEntries(Object.entries(reply.getHeaders()).map(([name, value]) => [name, String(value)]));
    return '';
  });
  await probe.inject('/');
  await probe.close();
  return headers;
}
