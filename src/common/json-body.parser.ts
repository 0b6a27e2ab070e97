import type { FastifyInstance } from 'fastify';
import { keepRawBody } from './body-formats';
import { ProblemException } from './errors/problem.exception';

/** Deeper than any body this API accepts, far shallower than what overflows a recursive walk. */
export const MAX_JSON_DEPTH = 32;

type ContentTypeParser = Parameters<FastifyInstance['addContentTypeParser']>[2];

/**
 * Fastify's JSON parser (which refuses `__proto__` and `constructor.prototype` keys) plus a depth
 * limit: class-transformer walks bodies recursively, and a few kilobytes of `[[[[…]]]]` would
 * otherwise exhaust the stack and answer 500. Every failure is a `validation_failed` problem. Routes
 * marked KeepsRawBody also keep the text as it arrived.
 */
export function createJsonBodyParser(fastify: FastifyInstance): ContentTypeParser {
  const parseJson = fastify.getDefaultJsonParser('error', 'error');
  return (request, body, done) =>
    parseJson(request, body as string, (error: Error | null, value?: unknown) => {
      if (error) return done(invalidBody('The request body is not valid JSON.'), undefined);
      if (nestedDeeperThan(value, MAX_JSON_DEPTH)) {
        return done(invalidBody(`The request body is nested more than ${MAX_JSON_DEPTH} levels deep.`), undefined);
      }
      keepRawBody(request, body as string);
      done(null, value);
    });
}

function invalidBody(detail: string): ProblemException {
  return new ProblemException('validation_failed', { detail });
}

/** Iterative, so the check itself cannot overflow the stack. */
function nestedDeeperThan(root: unknown, maxDepth: number): boolean {
  const stack: [unknown, number][] = [[root, 1]];
  while (stack.length) {
    const [value, depth] = stack.pop()!;
    if (value === null || typeof value !== 'object') continue;
    if (depth > maxDepth) return true;
    for (const child of Object.values(value)) stack.push([child, depth + 1]);
  }
  return false;
}
