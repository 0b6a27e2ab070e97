import SwaggerParser from '@apidevtools/swagger-parser';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { ROUTES } from './helpers/api-client';
import { conformingRequest, OpenApiConformance, type OpenApiDocument } from './helpers/openapi-conformance';
import { expectProblem } from './helpers/problems';
import { signIn } from './helpers/sign-in';
import { useTestApp } from './helpers/test-app';

interface Operation {
  operationId: string;
  summary?: string;
  description?: string;
  tags?: string[];
  security?: Record<string, string[]>[];
  parameters?: { name: string; in: string; schema?: Record<string, unknown> }[];
  requestBody?: { content: Record<string, { schema: { $ref?: string } }> };
  responses: Record<
    string,
    {
      content?: Record<string, { schema: Record<string, unknown>; examples?: Record<string, { value: unknown }> }>;
      headers?: Record<string, { required?: boolean }>;
    }
  >;
}

interface Document extends OpenApiDocument {
  info: { title: string; description: string; version: string };
  servers?: { url: string }[];
  tags?: { name: string; description?: string }[];
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, Record<string, unknown>>; securitySchemes: Record<string, unknown> };
}

/** DESIGN §4: the API routes, each documented once, without the trailing slash they also answer with. */
const API_ROUTES = [
  'POST /api/auth/send-otp',
  'POST /api/auth/verify-otp',
  'POST /api/auth/token/refresh',
  'POST /api/auth/logout',
  'GET /api/auth/profile',
  'PATCH /api/auth/profile',
  'GET /api/auth/sessions',
  'DELETE /api/auth/sessions/{id}',
  'POST /api/auth/reauthenticate',
  'POST /api/auth/reauthenticate/verify',
  'POST /api/auth/phone/change',
  'POST /api/auth/phone/change/verify',
  'POST /api/auth/account/deletion',
  'DELETE /api/auth/account',
  'POST /api/auth/recovery',
  'POST /api/auth/recovery/verify',
  'POST /api/auth/mfa/challenge',
  'GET /api/auth/mfa',
  'POST /api/auth/mfa/totp',
  'POST /api/auth/mfa/totp/verify',
  'DELETE /api/auth/mfa/totp',
  'POST /api/auth/mfa/recovery-codes',
  'POST /api/auth/mfa/challenge/passkey/options',
  'POST /api/auth/passkeys/login/options',
  'POST /api/auth/passkeys/login/verify',
  'POST /api/auth/passkeys/register/options',
  'POST /api/auth/passkeys/register/verify',
  'GET /api/auth/passkeys',
  'PATCH /api/auth/passkeys/{id}',
  'DELETE /api/auth/passkeys/{id}',
  'POST /api/sms/status/twilio',
  'POST /api/sms/status/webhook',
];
/** Providers' signed callbacks, which the per-IP throttle would drop (see the controller). */
const UNTHROTTLED = ['POST /api/sms/status/twilio', 'POST /api/sms/status/webhook'];
const PUBLIC = [
  'POST /api/auth/send-otp',
  'POST /api/auth/verify-otp',
  'POST /api/auth/token/refresh',
  'POST /api/auth/logout',
  'POST /api/auth/mfa/challenge',
  'POST /api/auth/recovery',
  'POST /api/auth/recovery/verify',
  'POST /api/auth/mfa/challenge/passkey/options',
  'POST /api/auth/passkeys/login/options',
  'POST /api/auth/passkeys/login/verify',
  'POST /api/sms/status/twilio',
  'POST /api/sms/status/webhook',
];
const PROTECTED = API_ROUTES.filter((route) => !PUBLIC.includes(route));
/** The admin API: in the document only while ADMIN_API_TOKENS is set, under its own tag and scheme. */
const ADMIN_ROUTES = [
  'GET /api/admin/users',
  'GET /api/admin/users/{id}',
  'PATCH /api/admin/users/{id}',
  'DELETE /api/admin/users/{id}',
  'DELETE /api/admin/users/{id}/sessions',
  'DELETE /api/admin/users/{id}/sessions/{session_id}',
  'GET /api/admin/audit-events',
  'GET /api/admin/audit-events/export',
  'GET /api/admin/analytics',
];
const ADMIN_TOKEN = 'test-admin-token-0123456789abcdef';
const UNKNOWN_SESSION = '00000000-0000-4000-8000-000000000000';

const packageVersion = (JSON.parse(readFileSync(join(__dirname, '..', 'package.json'), 'utf8')) as { version: string })
  .version;

/** Each API operation as `[key, path as sent, method, operation]`, the path's parameter filled in. */
function apiOperations(document: Document, id = UNKNOWN_SESSION): [string, string, string, Operation][] {
  return Object.entries(document.paths)
    .filter(([path]) => path.startsWith('/api/'))
    .flatMap(([path, item]) =>
      Object.entries(item).map(([method, operation]): [string, string, string, Operation] => [
        `${method.toUpperCase()} ${path}`,
        `${path.replace('{id}', id)}/`,
        method,
        operation,
      ]),
    );
}

/** The problem `code`s a response documents, from its narrowed schema. */
function documentedCodes(operation: Operation, status: number): string[] {
  const schema = operation.responses[status]?.content?.['application/problem+json']?.schema as
    { allOf?: { properties?: { code?: { enum?: string[] } } }[] } | undefined;
  return schema?.allOf?.flatMap((part) => part.properties?.code?.enum ?? []) ?? [];
}

/** An instance of `schema` built from the examples of its properties, as Swagger UI shows one. */
function exampleOf(document: Document, schema: Record<string, unknown>): unknown {
  if (schema.example !== undefined) return schema.example;
  if (typeof schema.$ref === 'string')
    return exampleOf(document, document.components.schemas[schema.$ref.split('/').pop()!]);
  if (Array.isArray(schema.allOf)) {
    return Object.assign({}, ...schema.allOf.map((part: Record<string, unknown>) => exampleOf(document, part)));
  }
  if (Array.isArray(schema.enum)) return schema.enum[0];
  if (schema.type === 'array') return [exampleOf(document, schema.items as Record<string, unknown>)];
  const properties = Object.entries((schema.properties ?? {}) as Record<string, Record<string, unknown>>);
  return Object.fromEntries(properties.map(([name, property]) => [name, exampleOf(document, property)]));
}

describe('OpenAPI document (/api/docs-json)', () => {
  const app = useTestApp('sqlite');
  let document: Document;

  beforeAll(async () => {
    const res = await app().http().get(ROUTES.docsJson).expect(200);
    document = res.body as Document;
  });

  it('is valid OpenAPI 3 according to @apidevtools/swagger-parser', async () => {
    await expect(SwaggerParser.validate(structuredClone(document) as never)).resolves.toBeDefined();
    expect(document.openapi).toMatch(/^3\.0\.\d+$/);
  });

  it("carries package.json's version, a server URL and a description of the sign-in flow", () => {
    expect(document.info.version).toBe(packageVersion);
    expect(document.servers?.[0]?.url).toBeTruthy();
    for (const step of ['/api/auth/send-otp/', '/api/auth/verify-otp/', 'Authorization: Bearer', 'token/refresh']) {
      expect(document.info.description).toContain(step);
    }
  });

  it('documents every API route exactly once, without the trailing slash, and says it also answers with one', () => {
    const operations = apiOperations(document);
    expect(operations.map(([key]) => key).sort()).toEqual([...API_ROUTES].sort());
    for (const [key, , , operation] of operations) {
      expect({ key, summary: operation.summary }).toEqual({ key, summary: expect.any(String) });
      expect(operation.description).toContain(`\`${key.split(' ')[1]}/\``);
    }
    expect(Object.keys(document.paths).filter((path) => path.endsWith('/'))).toEqual([]);
    const ids = Object.values(document.paths).flatMap((item) => Object.values(item).map((o) => o.operationId));
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('leaves the admin API out while ADMIN_API_TOKENS is empty: its routes do not exist', () => {
    expect(Object.keys(document.paths).filter((path) => path.startsWith('/api/admin'))).toEqual([]);
    expect(document.tags?.map((tag) => tag.name)).not.toContain('admin');
    expect(Object.keys(document.components.securitySchemes)).not.toContain('admin-token');
  });

  it('puts bearer security on the protected routes and only there', () => {
    expect(document.components.securitySchemes.bearer).toMatchObject({ type: 'http', scheme: 'bearer' });
    for (const [key, , , operation] of apiOperations(document)) {
      expect({ key, security: operation.security ?? [] }).toEqual({
        key,
        security: PROTECTED.includes(key) ? [{ bearer: [] }] : [],
      });
    }
  });

  it('tags every operation and describes every tag', () => {
    const used = new Set(Object.values(document.paths).flatMap((item) => Object.values(item).flatMap((o) => o.tags)));
    expect(used.has(undefined)).toBe(false);
    expect(document.tags?.map((tag) => tag.name).sort()).toEqual([...used].sort());
    for (const tag of document.tags ?? [])
      expect({ tag: tag.name, description: tag.description }).toEqual({
        tag: tag.name,
        description: expect.any(String),
      });
  });

  it('lists the problems every route can give: 429 and 5xx everywhere, 401 when protected, 413/415/400 with a body', () => {
    for (const [key, , , operation] of apiOperations(document)) {
      const codes = (status: number) => ({ key, status, codes: documentedCodes(operation, status) });
      const including = (status: number, ...expected: string[]) => ({
        key,
        status,
        codes: expect.arrayContaining(expected),
      });
      if (!UNTHROTTLED.includes(key)) expect(codes(429)).toEqual(including(429, 'rate_limited'));
      expect(codes(500)).toEqual(including(500, 'internal_error'));
      expect(codes(503)).toEqual(including(503, 'service_unavailable'));
      if (PROTECTED.includes(key)) {
        expect(codes(401)).toEqual(including(401, 'unauthorized'));
        expect(codes(403)).toEqual(including(403, 'mfa_enrolment_required'));
      }
      if (operation.requestBody) {
        expect(codes(400)).toEqual(including(400, 'validation_failed'));
        expect(codes(413)).toEqual(including(413, 'payload_too_large'));
        expect(codes(415)).toEqual(including(415, 'unsupported_media_type'));
      }
      for (const [status, response] of Object.entries(operation.responses)) {
        if (Number(status) < 400) continue;
        expect({ key, status, types: Object.keys(response.content ?? {}) }).toEqual({
          key,
          status,
          types: ['application/problem+json'],
        });
      }
    }
    const revoke = document.paths['/api/auth/sessions/{id}'].delete;
    expect(documentedCodes(revoke, 404)).toEqual(['not_found']);
    expect(documentedCodes(document.paths['/api/auth/token/refresh'].post, 401)).toEqual(
      expect.arrayContaining(['unauthorized', 'refresh_token_reused']),
    );
    expect(document.paths['/api/auth/profile'].get.responses[429].headers?.['Retry-After']?.required).toBe(true);
    const sensitive = [
      document.paths['/api/auth/phone/change'].post,
      document.paths['/api/auth/account'].delete,
      document.paths['/api/auth/mfa/totp'].post,
      document.paths['/api/auth/mfa/totp'].delete,
      document.paths['/api/auth/mfa/recovery-codes'].post,
    ];
    for (const operation of sensitive) expect(documentedCodes(operation, 401)).toContain('reauthentication_required');
    expect(documentedCodes(document.paths['/api/auth/phone/change/verify'].post, 409)).toEqual(['phone_number_in_use']);
  });

  it('has examples that match their own schemas', () => {
    const checker = new OpenApiConformance(document);
    const mismatches: string[] = [];
    for (const name of Object.keys(document.components.schemas)) {
      const schema = { $ref: `#/components/schemas/${name}` };
      const errors = checker.schemaErrors(schema, exampleOf(document, schema));
      if (errors) mismatches.push(`${name}: ${errors.join('; ')}`);
    }
    for (const [key, , , operation] of apiOperations(document)) {
      for (const [status, response] of Object.entries(operation.responses)) {
        for (const [type, media] of Object.entries(response.content ?? {})) {
          for (const [name, { value }] of Object.entries(media.examples ?? {})) {
            const errors = checker.schemaErrors(media.schema, value);
            if (errors) mismatches.push(`${key} ${status} ${type} example ${name}: ${errors.join('; ')}`);
          }
        }
      }
      for (const parameter of operation.parameters ?? []) {
        const example = parameter.schema?.example;
        const errors = example === undefined ? null : checker.schemaErrors(parameter.schema!, example);
        if (errors) mismatches.push(`${key} parameter ${parameter.name}: ${errors.join('; ')}`);
      }
    }
    expect(mismatches).toEqual([]);
  });

  it('declares that request bodies refuse unknown fields, as the ValidationPipe does', () => {
    for (const [key, , , operation] of apiOperations(document)) {
      // Form bodies (provider callbacks) carry fields the provider adds at will.
      const ref = operation.requestBody?.content['application/json']?.schema.$ref;
      if (!ref) continue;
      const schema = document.components.schemas[ref.split('/').pop()!];
      expect({ key, additionalProperties: schema.additionalProperties }).toEqual({ key, additionalProperties: false });
    }
  });

  describe('the documented problems are the ones the service gives (every response here is conformance-checked)', () => {
    it('answers 401 unauthorized on every protected route without a token', async () => {
      for (const [key, path, method] of apiOperations(document)) {
        if (!PROTECTED.includes(key)) continue;
        const res = await app()
          .http()
          [method as 'get'](path)
          .send(method === 'patch' ? { first_name: 'A' } : undefined);
        expectProblem(res, 401, 'unauthorized');
      }
    });

    it('answers 413 and 415 on every route that takes a body', async () => {
      const { tokens } = await signIn(app(), '+12015550170');
      for (const [, path, method, operation] of apiOperations(document)) {
        if (!operation.requestBody) continue;
        const send = () => app().http()[method as 'post'](path).set('Authorization', `Bearer ${tokens.access}`);
        expectProblem(await send().send({ refresh: 'x'.repeat(20_000) }), 413, 'payload_too_large');
        expectProblem(await send().set('Content-Type', 'text/plain').send('hello'), 415, 'unsupported_media_type');
      }
    });

    it('answers 404 not_found for a session that is not the caller’s', async () => {
      const t = app();
      const { tokens } = await signIn(t, '+12015550171');
      const res = await t.api.revokeSession(tokens.access, UNKNOWN_SESSION);
      expectProblem(res, 404, 'not_found');
    });
  });
});

describe('OpenAPI document with ADMIN_API_TOKENS set', () => {
  const app = useTestApp('sqlite', { env: { ADMIN_API_TOKENS: `ops:${ADMIN_TOKEN}` } });
  let document: Document;
  const adminOperations = () => apiOperations(document).filter(([key]) => key.split(' ')[1].startsWith('/api/admin'));
  /** The path as a client sends it, with a well-formed id of a user that does not exist. */
  const sent = (path: string) => path.replace('{session_id}', UNKNOWN_SESSION).replace(UNKNOWN_SESSION, '424242');

  beforeAll(async () => {
    document = (await app().http().get(ROUTES.docsJson).expect(200)).body as Document;
  });

  it('is valid OpenAPI 3 and lists the admin routes besides the user routes', async () => {
    await expect(SwaggerParser.validate(structuredClone(document) as never)).resolves.toBeDefined();
    expect(
      apiOperations(document)
        .map(([key]) => key)
        .sort(),
    ).toEqual([...API_ROUTES, ...ADMIN_ROUTES].sort());
  });

  it('puts the admin routes under the admin tag and the admin-token scheme, and no other route there', () => {
    expect(document.components.securitySchemes['admin-token']).toMatchObject({ type: 'http', scheme: 'bearer' });
    expect(document.tags?.find((tag) => tag.name === 'admin')?.description).toContain('ADMIN_API_TOKENS');
    for (const [key, , , operation] of apiOperations(document)) {
      const isAdmin = ADMIN_ROUTES.includes(key);
      expect({ key, tags: operation.tags, security: operation.security ?? [] }).toEqual({
        key,
        tags: isAdmin ? ['admin'] : expect.not.arrayContaining(['admin']),
        security: isAdmin ? [{ 'admin-token': [] }] : PROTECTED.includes(key) ? [{ bearer: [] }] : [],
      });
    }
  });

  it('lists the problems every admin route can give', () => {
    for (const [key, , , operation] of adminOperations()) {
      const including = (status: number, ...codes: string[]) => ({ key, status, codes: expect.arrayContaining(codes) });
      const codes = (status: number) => ({ key, status, codes: documentedCodes(operation, status) });
      expect(codes(400)).toEqual(including(400, 'validation_failed'));
      expect(codes(401)).toEqual(including(401, 'unauthorized'));
      expect(codes(429)).toEqual(including(429, 'rate_limited'));
      expect(codes(500)).toEqual(including(500, 'internal_error'));
      expect(codes(503)).toEqual(including(503, 'service_unavailable'));
      if (key.includes('{id}')) expect(codes(404)).toEqual(including(404, 'not_found'));
      if (operation.requestBody) {
        expect(codes(413)).toEqual(including(413, 'payload_too_large'));
        expect(codes(415)).toEqual(including(415, 'unsupported_media_type'));
      }
    }
    const exported = document.paths['/api/admin/audit-events/export'].get.responses[200].content;
    expect(Object.keys(exported ?? {})).toEqual(['application/x-ndjson']);
  });

  it('has admin examples that match their own schemas', () => {
    const checker = new OpenApiConformance(document);
    const mismatches: string[] = [];
    for (const name of Object.keys(document.components.schemas)) {
      const schema = { $ref: `#/components/schemas/${name}` };
      const errors = checker.schemaErrors(schema, exampleOf(document, schema));
      if (errors) mismatches.push(`${name}: ${errors.join('; ')}`);
    }
    for (const [key, , , operation] of adminOperations()) {
      for (const parameter of operation.parameters ?? []) {
        const example = parameter.schema?.example;
        const errors = example === undefined ? null : checker.schemaErrors(parameter.schema!, example);
        if (errors) mismatches.push(`${key} parameter ${parameter.name}: ${errors.join('; ')}`);
      }
    }
    expect(mismatches).toEqual([]);
  });

  it("answers 401 unauthorized on every admin route without a token and with a user's token, as documented", async () => {
    const { tokens } = await signIn(app(), '+12015550173');
    for (const [, path, method] of adminOperations()) {
      for (const token of [undefined, tokens.access]) {
        const request = app().http()[method as 'get'](sent(path));
        const res = await (token ? request.set('Authorization', `Bearer ${token}`) : request).send(
          method === 'patch' ? { is_active: true } : undefined,
        );
        expectProblem(res, 401, 'unauthorized');
      }
    }
  });

  it('takes an empty NDJSON export as an empty document of its media type, and nothing else as one', () => {
    const checker = new OpenApiConformance(document);
    const empty = (type: string) => ({ status: 200, headers: { 'content-type': type }, body: {}, text: '' });
    expect(checker.check('GET', '/api/admin/audit-events/export/', empty('application/x-ndjson'))).toBeNull();
    expect(checker.check('GET', '/api/admin/audit-events/', empty('application/json'))).toContain('no body came back');
  });

  it('answers 404 not_found for a user that does not exist on every route that names one, as documented', async () => {
    for (const [key, path, method] of adminOperations()) {
      if (!key.includes('{id}')) continue;
      const res = await app()
        .http()
        [method as 'get'](sent(path))
        .set('Authorization', `Bearer ${ADMIN_TOKEN}`)
        .send(method === 'patch' ? { is_active: true } : undefined);
      expectProblem(res, 404, 'not_found');
    }
  });
});

describe('OpenAPI document with ADMIN_API_TOKENS set: rate_limited on every admin route', () => {
  const app = useTestApp('sqlite', {
    env: { ADMIN_API_TOKENS: `ops:${ADMIN_TOKEN}`, THROTTLE_LIMIT: '1', THROTTLE_TTL: '60s' },
  });

  it('answers 429 rate_limited with Retry-After once the per-IP budget is spent, admin token or not', async () => {
    const t = app();
    const document = (await t.http().get(ROUTES.docsJson).expect(200)).body as Document;
    await t.api.adminUsers(ADMIN_TOKEN).expect(200);
    for (const [key, path, method] of apiOperations(document)) {
      if (!ADMIN_ROUTES.includes(key)) continue;
      const res = await t
        .http()
        [method as 'get'](path.replace('{session_id}', UNKNOWN_SESSION))
        .set('Authorization', `Bearer ${ADMIN_TOKEN}`);
      expectProblem(res, 429, 'rate_limited');
      expect(res.headers['retry-after']).toMatch(/^\d+$/);
    }
  });
});

describe('OpenAPI document: rate_limited on every API route', () => {
  const app = useTestApp('sqlite', { env: { THROTTLE_LIMIT: '1', THROTTLE_TTL: '60s' } });

  it('answers 429 rate_limited with Retry-After once the per-IP budget is spent, as documented', async () => {
    const t = app();
    const document = (await t.http().get(ROUTES.docsJson).expect(200)).body as Document;
    await t.api.profile().expect(401);
    for (const [key, path, method] of apiOperations(document)) {
      if (UNTHROTTLED.includes(key)) continue;
      const res = await t.http()[method as 'post'](path).send({});
      expectProblem(res, 429, 'rate_limited');
      expect(res.headers['retry-after']).toMatch(/^\d+$/);
    }
  });
});

describe('OpenAPI conformance checker', () => {
  const app = useTestApp('sqlite');
  let checker: OpenApiConformance;
  beforeAll(async () => {
    checker = new OpenApiConformance((await app().http().get(ROUTES.docsJson).expect(200)).body as OpenApiDocument);
  });

  const problem = {
    type: '/problems/otp_invalid',
    title: 'Invalid code',
    status: 400,
    detail: 'The code is wrong or has already been used.',
    code: 'otp_invalid',
    instance: '/api/auth/verify-otp/',
  };
  const problemResponse = (status: number, body: unknown) => ({
    status,
    headers: { 'content-type': 'application/problem+json; charset=utf-8' },
    body,
  });

  it('passes a response that matches, with or without the trailing slash and a query string', () => {
    for (const url of [
      '/api/auth/verify-otp',
      '/api/auth/verify-otp/',
      'http://127.0.0.1:1/api/auth/verify-otp/?x=1',
    ]) {
      expect(checker.check('POST', url, problemResponse(400, problem))).toBeNull();
    }
  });

  it('skips routes and methods the document does not describe', () => {
    expect(checker.check('GET', '/nope', problemResponse(404, {}))).toBeNull();
    expect(checker.check('GET', '/api/auth/send-otp/', problemResponse(404, {}))).toBeNull();
  });

  it.each([
    ['an undocumented field', { ...problem, stack: 'at …' }, '"stack" is not in the document'],
    ['a wrong type', { ...problem, status: '400' }, '/status must be integer'],
    [
      'a code this status does not list for the route',
      { ...problem, code: 'unauthorized' },
      '/code must be equal to one of the allowed values',
    ],
    ['a missing member', { ...problem, instance: undefined }, "must have required property 'instance'"],
  ])('fails a body with %s, naming the route, the status and the field', (_case, body, message) => {
    const mismatch = checker.check(
      'POST',
      '/api/auth/verify-otp/',
      problemResponse(400, JSON.parse(JSON.stringify(body))),
    );
    expect(mismatch).toContain('POST /api/auth/verify-otp/ answered 400 (application/problem+json)');
    expect(mismatch).toContain('POST /api/auth/verify-otp → 400');
    expect(mismatch).toContain(message);
  });

  it('fails a status the route does not list', () => {
    expect(checker.check('GET', '/api/auth/profile/', problemResponse(418, problem))).toMatch(
      /answered 418 .*a status the document does not list for GET \/api\/auth\/profile \(it lists 200, 401, /,
    );
  });

  it('fails a media type the response does not list, and a body where none is documented', () => {
    const plain = { status: 200, headers: { 'content-type': 'text/plain' }, body: {}, text: 'ok' };
    expect(checker.check('GET', '/api/auth/profile', plain)).toContain(
      'Content-Type text/plain is not one the document lists',
    );
    const logout = { status: 204, headers: { 'content-type': 'application/json' }, body: {}, text: '{}' };
    expect(checker.check('POST', '/api/auth/logout', logout)).toContain('the document lists no body for 204');
  });

  it('fails a missing required header', () => {
    const limited = { ...problem, status: 429, code: 'rate_limited', type: '/problems/rate_limited' };
    expect(checker.check('GET', '/api/auth/profile', problemResponse(429, limited))).toContain(
      'header Retry-After is required but missing',
    );
  });

  it('accepts null only where the schema is nullable', () => {
    const session = {
      id: UNKNOWN_SESSION,
      current: true,
      created_at: '2026-07-08T12:34:56.000Z',
      last_used_at: '2026-07-08T12:34:56.000Z',
      expires_at: '2026-08-07T12:34:56.000Z',
      user_agent: null,
      ip: null,
    };
    const list = (body: unknown) => ({ status: 200, headers: { 'content-type': 'application/json' }, body });
    expect(checker.check('GET', '/api/auth/sessions', list({ sessions: [session] }))).toBeNull();
    expect(checker.check('GET', '/api/auth/sessions', list({ sessions: [{ ...session, id: null }] }))).toContain(
      '/sessions/0/id must be string',
    );
  });

  describe("through the e2e suites' http()", () => {
    let server: Server;
    let document: OpenApiDocument;
    let profileBody: unknown;
    beforeAll(async () => {
      document = (await app().http().get(ROUTES.docsJson).expect(200)).body as OpenApiDocument;
      // A stand-in server that serves the real document but answers the profile in its own way.
      server = createServer((req, res) => {
        const json = (status: number, body: unknown) =>
          res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
        if (req.url === ROUTES.docsJson) return json(200, document);
        if (req.url?.startsWith('/api/auth/profile')) return json(200, profileBody);
        json(404, {});
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    });
    afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

    const user = {
      id: 1,
      phone_number: '+12015550123',
      username: '+12015550123',
      first_name: '',
      last_name: '',
      is_phone_verified: true,
      date_joined: '2026-07-08T12:34:56Z',
    };

    it('lets a conforming response through', async () => {
      profileBody = { user };
      await expect(conformingRequest(server)().get('/api/auth/profile/').expect(200)).resolves.toMatchObject({
        body: { user },
      });
    });

    it('fails the awaiting test with the mismatch and where the request was sent from', async () => {
      profileBody = { user: { ...user, id: '1', is_admin: true } };
      const failure = conformingRequest(server)().get('/api/auth/profile/').expect(200);
      await expect(failure).rejects.toThrow(
        'GET /api/auth/profile/ answered 200 (application/json), which does not match GET /api/auth/profile → 200',
      );
      const error = (await conformingRequest(server)()
        .get('/api/auth/profile/')
        .catch((reason: unknown) => reason)) as Error;
      expect(error.message).toContain('\n  - body /user/id must be integer');
      expect(error.message).toContain(
        '\n  - body /user must NOT have additional properties: "is_admin" is not in the document',
      );
      expect(error.stack?.split('\n')[error.message.split('\n').length]).toContain(__filename);
    });

    it("reports the test's own failed expectation first", async () => {
      profileBody = { user: { ...user, id: '1' } };
      await expect(conformingRequest(server)().get('/api/auth/profile/').expect(201)).rejects.toThrow(
        'expected 201 "Created", got 200 "OK"',
      );
    });

    it('skips what the document does not describe', async () => {
      await expect(conformingRequest(server)().get('/elsewhere').expect(404)).resolves.toBeDefined();
    });
  });
});

describe('API_DOCS_ENABLED=false', () => {
  const app = useTestApp('sqlite', { env: { API_DOCS_ENABLED: 'false' } });

  it.each(['/api/docs', '/api/docs/', '/api/docs-json', '/api/docs-yaml', '/api/docs/swagger-ui-bundle.js'])(
    'answers %s with a 404 problem',
    async (path) => {
      expectProblem(await app().http().get(path), 404, 'not_found');
    },
  );

  it('still serves the API', async () => {
    await signIn(app(), '+12015550172');
  });
});

describe('API docs on (the default)', () => {
  const app = useTestApp('sqlite');

  it('serves Swagger UI and its assets with the security headers on', async () => {
    const t = app();
    const page = await t.http().get('/api/docs').expect(200);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    expect(page.headers['content-security-policy']).toContain("default-src 'self'");
    const assets = [...page.text.matchAll(/(?:src|href)="([^"]+\.(?:js|css|png))"/g)].map(
      (match) => new URL(match[1], 'http://localhost/api/docs').pathname,
    );
    expect(assets).toEqual(expect.arrayContaining(['/api/docs/swagger-ui.css', '/api/docs/swagger-ui-bundle.js']));
    for (const asset of assets) await t.http().get(asset).expect(200);
  });
});
