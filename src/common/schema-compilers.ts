import type { BuildCompilerFromPool } from '@fastify/ajv-compiler';
import type { SerializerFactory } from '@fastify/fast-json-stringify-compiler';
import type { FastifyServerOptions } from 'fastify';

/* eslint-disable @typescript-eslint/no-require-imports -- loaded on demand, see lazySchemaCompilers */
let validator: BuildCompilerFromPool | undefined;
let serializer: SerializerFactory | undefined;

const buildValidator: BuildCompilerFromPool = (schemas, options) =>
  (validator ??= (require('@fastify/ajv-compiler') as typeof import('@fastify/ajv-compiler'))())(schemas, options);

const buildSerializer: SerializerFactory = (schemas, options) =>
  (serializer ??= (
    require('@fastify/fast-json-stringify-compiler') as typeof import('@fastify/fast-json-stringify-compiler')
  )())(schemas, options);
/* eslint-enable @typescript-eslint/no-require-imports */

/**
 * Fastify's own JSON-schema compilers (Ajv, fast-json-stringify), which it would otherwise load
 * when each server is created, loaded the first time a route declares a schema. No route does
 * (bodies are checked by the ValidationPipe), so the process never pays for them
 * (docs/benchmarks.md, "Boot"). Each is made once, as Fastify does, so its cache is shared.
 */
export const lazySchemaCompilers = {
  compilersFactory: { buildValidator, buildSerializer },
} satisfies FastifyServerOptions['schemaController'];
