import helmet from '@fastify/helmet';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { setUpApiDocs } from './api-docs';
import { ProblemDetailsFilter } from './common/errors/problem-details.filter';
import { createJsonBodyParser } from './common/json-body.parser';
import { createValidationPipe } from './common/validation.pipe';
import { appConfig } from './config';

/** The HTTP server options that must exist before Nest does; read through the same config namespace. */
export function createFastifyAdapter(): FastifyAdapter {
  const { bodyLimit, trustProxy } = appConfig();
  return new FastifyAdapter({ bodyLimit, trustProxy, routerOptions: { ignoreTrailingSlash: true } });
}

/**
 * Everything between creating the app and listening, shared by main.ts and the e2e tests so the
 * two can never drift: validation, problem details, body parsing and API docs.
 */
export async function configureApp(app: NestFastifyApplication): Promise<void> {
  app.useGlobalPipes(createValidationPipe());
  app.useGlobalFilters(new ProblemDetailsFilter());
  const fastify = app.getHttpAdapter().getInstance();
  await app.register(helmet, {
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
  // Tokens, codes and profiles must never sit in a browser or proxy cache.
  fastify.addHook('onSend', async (request, reply) => {
    if (!request.url.startsWith('/api/docs')) reply.header('Cache-Control', 'no-store');
  });
  setUpApiDocs(app);
  app.enableShutdownHooks();
  await app.init();
  // Only JSON bodies are accepted: text, forms and the rest get 415 instead of reaching validation.
  fastify.removeAllContentTypeParsers();
  fastify.addContentTypeParser('application/json', { parseAs: 'string' }, createJsonBodyParser(fastify));
  await fastify.ready();
}
