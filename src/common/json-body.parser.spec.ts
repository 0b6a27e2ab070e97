import Fastify, { type FastifyInstance } from 'fastify';
import { ProblemException } from './errors/problem.exception';
import { createJsonBodyParser, MAX_JSON_DEPTH } from './json-body.parser';

describe('createJsonBodyParser', () => {
  let fastify: FastifyInstance;

  beforeAll(async () => {
    fastify = Fastify();
    fastify.removeAllContentTypeParsers();
    fastify.addContentTypeParser('application/json', { parseAs: 'string' }, createJsonBodyParser(fastify));
    fastify.post('/', (request) => ({ body: request.body }));
    fastify.setErrorHandler((error, _request, reply) => {
      const problem = error as ProblemException;
      void reply
        .status(400)
        .send({ isProblem: problem instanceof ProblemException, code: problem.code, detail: problem.message });
    });
    await fastify.ready();
  });

  afterAll(() => fastify.close());

  const post = (payload: string) =>
    fastify.inject({ method: 'POST', url: '/', headers: { 'content-type': 'application/json' }, payload });

  const nested = (depth: number) => '['.repeat(depth) + ']'.repeat(depth);

  it('parses an ordinary JSON body', async () => {
    const response = await post('{"phone_number":"+12015550123"}');
    expect(response.json()).toEqual({ body: { phone_number: '+12015550123' } });
  });

  it.each([
    ['malformed JSON', '{"phone_number":'],
    ['an empty body', ''],
    ['a __proto__ key', '{"__proto__":{"admin":true}}'],
    ['a constructor.prototype key', '{"constructor":{"prototype":{"admin":true}}}'],
  ])('answers %s with a validation_failed problem', async (_case, payload) => {
    expect((await post(payload)).json()).toEqual({
      isProblem: true,
      code: 'validation_failed',
      detail: 'The request body is not valid JSON.',
    });
  });

  it(`accepts nesting up to ${MAX_JSON_DEPTH} levels`, async () => {
    expect((await post(nested(MAX_JSON_DEPTH))).statusCode).toBe(200);
  });

  it.each([MAX_JSON_DEPTH + 1, 5000])('refuses %d levels of nesting without overflowing the stack', async (depth) => {
    expect((await post(nested(depth))).json()).toMatchObject({ isProblem: true, code: 'validation_failed' });
    expect((await post(`{"phone_number":${nested(depth)}}`)).json()).toMatchObject({ code: 'validation_failed' });
  });
});
