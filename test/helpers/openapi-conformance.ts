import Ajv, { type ErrorObject, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import type { Server } from 'node:http';
import request, { type Response, type Test } from 'supertest';

/** The parts of an OpenAPI 3.0 document the check reads. */
export interface OpenApiDocument {
  openapi: string;
  paths: Record<string, Record<string, unknown>>;
  components?: { schemas?: Record<string, Schema> };
}

type Schema = Record<string, unknown>;

interface MediaType {
  schema?: Schema;
}

interface ResponseObject {
  content?: Record<string, MediaType>;
  headers?: Record<string, { required?: boolean; schema?: Schema }>;
}

interface Operation {
  responses: Record<string, ResponseObject>;
}

/** What the check needs of a response; supertest's Response has all of it. */
export interface ObservedResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  /** Parsed JSON (supertest parses `application/json` and `+json`). */
  body: unknown;
  text?: string;
}

const METHODS = new Set(['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace']);
const COMPONENTS_ID = 'openapi:components';
/** OpenAPI's own keywords and formats, which JSON Schema does not know; annotations only. */
const ANNOTATIONS = ['example', 'xml', 'externalDocs', 'discriminator'];
const OPENAPI_FORMATS = ['int32', 'int64', 'float', 'double', 'binary', 'password'];

interface Route {
  template: string;
  pattern: RegExp;
  operations: Record<string, Operation>;
}

/**
 * Checks responses against an OpenAPI 3.0 document: that the route lists the status, that the
 * media type is one it lists, that the body matches that media type's schema and that required
 * headers are there. The document's schemas are converted to JSON Schema for ajv (`nullable`,
 * boolean `exclusiveMinimum`/`exclusiveMaximum`, `$ref` into components).
 *
 * One deliberate strictness: a named component schema (a DTO) with `properties` and no
 * `additionalProperties` is treated as closed, so a field the service answers with but the
 * document does not list is reported as drift instead of passing unseen.
 */
export class OpenApiConformance {
  private readonly ajv: Ajv;
  private readonly routes: Route[];
  private readonly validators = new Map<Schema, ValidateFunction>();

  constructor(document: OpenApiDocument) {
    if (!/^3\.0\.\d+$/.test(document.openapi)) throw new Error(`Expected OpenAPI 3.0.x, got ${document.openapi}`);
    this.ajv = new Ajv({ allErrors: true, strict: true, strictTypes: false, strictRequired: false });
    addFormats(this.ajv);
    this.ajv.addVocabulary(ANNOTATIONS);
    for (const format of OPENAPI_FORMATS) this.ajv.addFormat(format, true);
    const definitions = Object.fromEntries(
      Object.entries(document.components?.schemas ?? {}).map(([name, schema]) => [name, closed(toJsonSchema(schema))]),
    );
    this.ajv.addSchema({ $id: COMPONENTS_ID, definitions });
    this.routes = Object.entries(document.paths)
      .map(([template, item]) => ({
        template,
        pattern: new RegExp(`^${template.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{[^}]+\}/g, '[^/]+')}$`),
        operations: Object.fromEntries(Object.entries(item).filter(([method]) => METHODS.has(method))) as Record<
          string,
          Operation
        >,
      }))
      // Literal paths before templated ones, so /a/b wins over /a/{id}.
      .sort((a, b) => (a.template.match(/\{/g)?.length ?? 0) - (b.template.match(/\{/g)?.length ?? 0));
  }

  /**
   * How `response` to `method url` departs from the document, or null when it conforms. Routes and
   * methods the document does not describe (unknown paths, the docs themselves) are not checked.
   */
  check(method: string, url: string, response: ObservedResponse): string | null {
    // The path as sent: WHATWG URL parsing would resolve `/a/./` to `/a/`, which the server never does.
    const pathname = url.replace(/^[a-z][a-z0-9+.-]*:\/\/[^/]*/i, '').split(/[?#]/)[0] || '/';
    const path = pathname.length > 1 ? pathname.replace(/\/$/, '') : pathname;
    const route = this.routes.find((r) => r.pattern.test(path));
    const operation = route?.operations[method.toLowerCase()];
    if (!route || !operation) return null;

    const request = `${method.toUpperCase()} ${pathname}`;
    const documented = `${method.toUpperCase()} ${route.template}`;
    const contentType = header(response, 'content-type')?.split(';')[0].trim().toLowerCase();
    const answered = `${request} answered ${response.status}${contentType ? ` (${contentType})` : ''}`;
    const spec =
      operation.responses[String(response.status)] ??
      operation.responses[`${String(response.status)[0]}XX`] ??
      operation.responses.default;
    if (!spec) {
      const listed = Object.keys(operation.responses).join(', ');
      return failure(
        `${answered}, a status the document does not list for ${documented} (it lists ${listed})`,
        response,
      );
    }

    const problems: string[] = [];
    for (const [name, definition] of Object.entries(spec.headers ?? {})) {
      const value = header(response, name);
      if (value === undefined) {
        if (definition.required) problems.push(`header ${name} is required but missing`);
      } else if (definition.schema) {
        const errors = this.schemaErrors(definition.schema, coerceHeader(value, definition.schema));
        if (errors) problems.push(...errors.map((e) => `header ${name} ${e}`));
      }
    }

    const hasBody = response.text !== undefined ? response.text.length > 0 : response.body !== undefined;
    const mediaTypes = Object.keys(spec.content ?? {});
    if (!mediaTypes.length) {
      if (hasBody) problems.push(`the document lists no body for ${response.status}, but one came back`);
    } else if (!contentType || (!hasBody && !isText(contentType, spec.content?.[contentType]))) {
      problems.push(`no body came back, but the document lists ${mediaTypes.join(', ')}`);
    } else {
      const media = spec.content?.[contentType];
      if (!media) {
        problems.push(`Content-Type ${contentType} is not one the document lists (${mediaTypes.join(', ')})`);
      } else if (media.schema) {
        const isJson = /^application\/(.+\+)?json$/.test(contentType);
        const errors = this.schemaErrors(media.schema, isJson ? response.body : response.text);
        if (errors) problems.push(...errors.map((e) => `body ${e}`));
      }
    }
    if (!problems.length) return null;
    return failure(
      `${answered}, which does not match ${documented} → ${response.status}:\n  - ${problems.join('\n  - ')}`,
      response,
    );
  }

  /** Why `value` does not match `schema` (an OpenAPI Schema Object of the document), or null when it does. */
  schemaErrors(schema: Schema, value: unknown): string[] | null {
    let validator = this.validators.get(schema);
    if (!validator) {
      validator = this.ajv.compile(toJsonSchema(schema));
      this.validators.set(schema, validator);
    }
    return validator(value) ? null : (validator.errors ?? []).map(describe);
  }
}

/** OpenAPI 3.0 Schema Object → JSON Schema (draft-07), recursively. */
function toJsonSchema(input: unknown): Schema {
  if (Array.isArray(input)) return input.map(toJsonSchema) as unknown as Schema;
  if (!input || typeof input !== 'object') return input as Schema;
  const schema: Schema = {};
  for (const [key, value] of Object.entries(input)) {
    if (key === 'nullable') continue;
    if (key === '$ref' && typeof value === 'string') {
      schema.$ref = value.replace(/^#\/components\/schemas\//, `${COMPONENTS_ID}#/definitions/`);
    } else if (key === 'properties' || key === 'patternProperties') {
      schema[key] = Object.fromEntries(Object.entries(value as Schema).map(([k, v]) => [k, toJsonSchema(v)]));
    } else if (['items', 'additionalProperties', 'not', 'allOf', 'anyOf', 'oneOf'].includes(key)) {
      schema[key] = typeof value === 'boolean' ? value : toJsonSchema(value);
    } else {
      schema[key] = value;
    }
  }
  for (const [bound, limit] of [
    ['exclusiveMinimum', 'minimum'],
    ['exclusiveMaximum', 'maximum'],
  ] as const) {
    if (schema[bound] === true) {
      schema[bound] = schema[limit];
      delete schema[limit];
    } else if (schema[bound] === false) {
      delete schema[bound];
    }
  }
  if ((input as Schema).nullable !== true) return schema;
  if (typeof schema.type === 'string') {
    schema.type = [schema.type, 'null'];
    if (Array.isArray(schema.enum)) schema.enum = [...(schema.enum as unknown[]), null];
    return schema;
  }
  return { anyOf: [schema, { type: 'null' }] };
}

/**
 * A text media type the document lists as a string (an NDJSON export): an empty body is an empty
 * document of it, checked against the schema like any other.
 */
function isText(contentType: string, media: MediaType | undefined): boolean {
  return !/^application\/(.+\+)?json$/.test(contentType) && media?.schema?.type === 'string';
}

function closed(schema: Schema): Schema {
  const isObject = schema.type === 'object' || (schema.type === undefined && schema.properties !== undefined);
  return isObject && schema.properties && schema.additionalProperties === undefined
    ? { ...schema, additionalProperties: false }
    : schema;
}

function header(response: ObservedResponse, name: string): string | undefined {
  const value = response.headers[name.toLowerCase()];
  return Array.isArray(value) ? value.join(', ') : value;
}

/** Header values are strings; a number-typed header schema means digits. */
function coerceHeader(value: string, schema: Schema): unknown {
  const numeric = schema.type === 'integer' || schema.type === 'number';
  return numeric && /^-?\d+(\.\d+)?$/.test(value) ? Number(value) : value;
}

function describe(error: ErrorObject): string {
  const where = error.instancePath || '(root)';
  const params = error.params as Record<string, unknown>;
  const detail =
    error.keyword === 'additionalProperties'
      ? `: "${String(params.additionalProperty)}" is not in the document`
      : error.keyword === 'enum'
        ? ` (${(params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')})`
        : '';
  return `${where} ${error.message ?? error.keyword}${detail}`;
}

function failure(message: string, response: ObservedResponse): string {
  const body = response.body !== undefined && response.body !== '' ? JSON.stringify(response.body) : response.text;
  const shown = body && body.length > 1200 ? `${body.slice(0, 1200)}…` : body;
  return `OpenAPI conformance (/api/docs-json): ${message}${shown ? `\n  body: ${shown}` : ''}`;
}

/**
 * `request(server)` whose every response is checked against the OpenAPI document that server
 * serves at /api/docs-json (fetched once, on the first response; not checked when the docs are
 * off). A response that departs from the document fails its request with the checker's message.
 */
export function conformingRequest(server: Server): () => ReturnType<typeof request> {
  let checker: Promise<OpenApiConformance | null> | undefined;
  const load = () =>
    (checker ??= request(server)
      .get('/api/docs-json')
      .then((res) => (res.status === 200 ? new OpenApiConformance(res.body as OpenApiDocument) : null)));
  return () => {
    const agent = request(server) as unknown as Record<string, (url: string) => Test>;
    for (const [method, create] of Object.entries(agent)) agent[method] = (url) => checked(create(url), load);
    return agent as unknown as ReturnType<typeof request>;
  };
}

function checked(test: Test, load: () => Promise<OpenApiConformance | null>): Test {
  // Captured here so a mismatch points at the test line that sent the request.
  const origin = new Error();
  const end = test.end.bind(test);
  test.end = (callback) =>
    end((error: unknown, res: Response) => {
      if (error || !res) return callback?.call(test, error, res);
      load()
        .then((checker) => checker?.check(test.method, test.url, res) ?? null)
        .then(
          (mismatch) => {
            if (!mismatch) return callback?.call(test, null, res);
            const failure = new Error(mismatch);
            const frames = origin.stack
              ?.split('\n')
              .filter((line) => /^\s+at /.test(line) && !line.includes(__filename));
            failure.stack = [mismatch, ...(frames ?? [])].join('\n');
            callback?.call(test, failure, res);
          },
          (loadError: unknown) => callback?.call(test, loadError, res),
        );
    });
  return test;
}
