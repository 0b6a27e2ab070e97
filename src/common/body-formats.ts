import { RouteConfig } from '@nestjs/platform-fastify';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { parse } from 'node:querystring';
import { ProblemException } from './errors/problem.exception';

type ContentTypeParser = Parameters<FastifyInstance['addContentTypeParser']>[2];

/** What a route takes besides a parsed JSON body; Fastify route config, read by the body parsers. */
interface BodyRouteConfig {
  formBody?: boolean;
  rawBody?: boolean;
}

export const FORM_MEDIA_TYPE = 'application/x-www-form-urlencoded';

/**
 * The route also takes `application/x-www-form-urlencoded` bodies (providers' callbacks), parsed
 * into an object whose values are strings, or arrays of them for a repeated field. Every other
 * route keeps answering them 415. Like any RouteConfig, not combinable with another one.
 */
export const AcceptsFormBody = () => RouteConfig({ formBody: true } satisfies BodyRouteConfig);

/** The route's JSON body text is kept as it arrived, for {@link rawBodyOf} (signatures over the exact bytes). */
export const KeepsRawBody = () => RouteConfig({ rawBody: true } satisfies BodyRouteConfig);

const configOf = (request: FastifyRequest) => (request.routeOptions.config ?? {}) as BodyRouteConfig;

/** A WeakMap rather than a request property: only one route pays for it, and no request changes shape. */
const rawBodies = new WeakMap<FastifyRequest, string>();

/** For the JSON parser: remembers `body` when the request's route keeps its raw body. */
export function keepRawBody(request: FastifyRequest, body: string): void {
  if (configOf(request).rawBody) rawBodies.set(request, body);
}

/** The body text of a request to a {@link KeepsRawBody} route, as received; undefined without a body. */
export function rawBodyOf(request: FastifyRequest): string | undefined {
  return rawBodies.get(request);
}

/** Whether the request says its body is a form. */
export function isFormBody(request: FastifyRequest): boolean {
  return request.headers['content-type']?.split(';')[0].trim().toLowerCase() === FORM_MEDIA_TYPE;
}

/**
 * Forms for the routes that take them, and `unsupported_media_type` on every other route (an
 * unknown path still answers 404). No key limit: Twilio signs every field it sends, and BODY_LIMIT
 * already bounds them; the object has no prototype, so no field name can reach one.
 */
export function createFormBodyParser(): ContentTypeParser {
  return (request, body, done) => {
    if (request.is404) return done(null, undefined);
    if (!configOf(request).formBody) return done(new ProblemException('unsupported_media_type'), undefined);
    done(null, parse(body as string, '&', '=', { maxKeys: 0 }));
  };
}
