import Fastify, { type FastifyInstance } from 'fastify';
import { createFormBodyParser, FORM_MEDIA_TYPE, isFormBody, rawBodyOf } from './body-formats';
import { ProblemException } from './errors/problem.exception';
import { createJsonBodyParser } from './json-body.parser';

describe('body formats: forms and raw bodies for the routes that ask', () => {
  let fastify: FastifyInstance;

  beforeAll(async () => {
    fastify = Fastify();
    fastify.removeAllContentTypeParsers();
    fastify.addContentTypeParser('application/json', { parseAs: 'string' }, createJsonBodyParser(fastify));
    fastify.addContentTypeParser(FORM_MEDIA_TYPE, { parseAs: 'string' }, createFormBodyParser());
    const echo = (request: Parameters<typeof rawBodyOf>[0]) => ({
      body: request.body,
      raw: rawBodyOf(request) ?? null,
      form: isFormBody(request),
    });
    // What AcceptsFormBody() and KeepsRawBody() put in the route's config.
    fastify.post('/form', { config: { formBody: true } }, echo);
    fastify.post('/raw', { config: { rawBody: true } }, echo);
    fastify.post('/json', echo);
    fastify.setErrorHandler((error, _request, reply) => {
      const problem = error as ProblemException;
      const status = problem instanceof ProblemException ? problem.getStatus() : 500;
      void reply.status(status).send({ code: problem.code });
    });
    await fastify.ready();
  });

  afterAll(() => fastify.close());

  const post = (url: string, contentType: string, payload: string) =>
    fastify.inject({ method: 'POST', url, headers: { 'content-type': contentType }, payload });

  it('parses a form on a route that takes forms, decoding it as a browser or Twilio encodes it', async () => {
    const res = await post('/form', FORM_MEDIA_TYPE, 'MessageSid=SM1&MessageStatus=sent&To=%2B1201+555&Empty=');

    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({
      body: { MessageSid: 'SM1', MessageStatus: 'sent', To: '+1201 555', Empty: '' },
      raw: null,
      form: true,
    });
  });

  it('matches the media type whatever its case and parameters', async () => {
    const res = await post('/form', 'Application/X-WWW-Form-Urlencoded; charset=utf-8', 'a=1');

    expect(res.json()).toEqual({ body: { a: '1' }, raw: null, form: true });
  });

  it('keeps a repeated field as a list, so a signature check sees every value', async () => {
    expect((await post('/form', FORM_MEDIA_TYPE, 'a=1&a=2')).json()).toMatchObject({ body: { a: ['1', '2'] } });
  });

  it('keeps every field of a large form (no key limit below BODY_LIMIT)', async () => {
    const fields = Array.from({ length: 1500 }, (_, i) => `f${i}=${i}`).join('&');
    const { body } = (await post('/form', FORM_MEDIA_TYPE, fields)).json<{ body: object }>();

    expect(Object.keys(body)).toHaveLength(1500);
  });

  it('parses a __proto__ field into a field, not a prototype', async () => {
    const res = await post('/form', FORM_MEDIA_TYPE, '__proto__=x&constructor=y');

    expect(res.json()).toMatchObject({ body: { ['__proto__']: 'x', constructor: 'y' } });
  });

  it.each(['/json', '/raw'])(
    'answers a form on %s, which takes JSON only, with unsupported_media_type',
    async (url) => {
      const res = await post(url, FORM_MEDIA_TYPE, 'phone_number=%2B12015550123');

      expect(res.statusCode).toBe(415);
      expect(res.json()).toEqual({ code: 'unsupported_media_type' });
    },
  );

  it('leaves a form to an unknown path to the 404 answer', async () => {
    expect((await post('/nope', FORM_MEDIA_TYPE, 'a=1')).statusCode).toBe(404);
  });

  it('keeps the JSON text exactly as it arrived on a route that asks for it', async () => {
    const text = '{ "message_id" : "msg_1",\n "status": "sent", "note": "código" }';

    const res = await post('/raw', 'application/json', text);

    expect(res.json()).toEqual({
      body: { message_id: 'msg_1', status: 'sent', note: 'código' },
      raw: text,
      form: false,
    });
  });

  it('keeps no raw body on the other routes', async () => {
    expect((await post('/json', 'application/json', '{"a":1}')).json()).toEqual({
      body: { a: 1 },
      raw: null,
      form: false,
    });
  });

  it('still refuses malformed JSON on a route that keeps its raw body', async () => {
    const res = await post('/raw', 'application/json', '{"a":');

    expect(res.statusCode).toBe(400);
    expect(res.json()).toEqual({ code: 'validation_failed' });
  });
});
