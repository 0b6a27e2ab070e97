import Fastify, { type FastifyInstance } from 'fastify';
import { lazySchemaCompilers } from './schema-compilers';

const mockLoaded: string[] = [];
jest.mock('@fastify/ajv-compiler', () => {
  mockLoaded.push('ajv');
  return jest.requireActual<object>('@fastify/ajv-compiler');
});
jest.mock('@fastify/fast-json-stringify-compiler', () => {
  mockLoaded.push('fast-json-stringify');
  return jest.requireActual<object>('@fastify/fast-json-stringify-compiler');
});

describe('lazySchemaCompilers', () => {
  const servers: FastifyInstance[] = [];
  const server = () => {
    const fastify = Fastify({ schemaController: lazySchemaCompilers });
    servers.push(fastify);
    return fastify;
  };

  afterAll(() => Promise.all(servers.map((fastify) => fastify.close())));

  it('loads neither compiler for a server whose routes declare no schema', async () => {
    const fastify = server();
    fastify.post('/', (request) => ({ body: request.body }));

    const response = await fastify.inject({ method: 'POST', url: '/', payload: { any: 'thing' } });

    expect(response.json()).toEqual({ body: { any: 'thing' } });
    expect(mockLoaded).toEqual([]);
  });

  it('loads each when routes declare schemas, which are then enforced as with the defaults', async () => {
    const routes = (fastify: FastifyInstance) =>
      fastify.post(
        '/',
        {
          schema: {
            body: { type: 'object', required: ['n'], properties: { n: { type: 'integer' } } },
            response: { 200: { type: 'object', properties: { n: { type: 'integer' } } } },
          },
        },
        (request) => ({ ...(request.body as object), secret: 'not in the response schema' }),
      );
    const first = server();
    const second = server();
    routes(first);
    routes(second);

    for (const fastify of [first, second]) {
      const invalid = await fastify.inject({ method: 'POST', url: '/', payload: { n: 'one' } });
      expect(invalid.statusCode).toBe(400);
      expect(invalid.json()).toMatchObject({ code: 'FST_ERR_VALIDATION', message: 'body/n must be integer' });
      expect((await fastify.inject({ method: 'POST', url: '/', payload: { n: 1 } })).json()).toEqual({ n: 1 });
    }
    // A set: the Ajv compiler package requires its own index once more (standalone.js).
    expect(new Set(mockLoaded)).toEqual(new Set(['ajv', 'fast-json-stringify']));
  });
});
