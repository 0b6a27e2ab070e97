import type { Response } from 'supertest';

const PROBLEM_FIELDS = ['type', 'title', 'status', 'detail', 'code', 'instance', 'errors'];

/**
 * Asserts an RFC 9457 problem document (DESIGN §5): this status and code, `application/problem+json`,
 * every required member, nothing else, and `instance` equal to the request path.
 */
export function expectProblem(res: Response, status: number, code: string): void {
  expect({ status: res.status, code: res.body?.code }).toEqual({ status, code });
  expectProblemShape(res);
}

/** The shape every error response has, whatever its status and code. */
export function expectProblemShape(res: Response): void {
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json\b/);
  expect(res.body).toEqual(
    expect.objectContaining({
      type: `/problems/${res.body.code}`,
      title: expect.any(String),
      status: res.status,
      detail: expect.any(String),
      code: expect.stringMatching(/^[a-z_]+$/),
      instance: new URL(res.request.url).pathname,
    }),
  );
  expect(Object.keys(res.body).filter((key) => !PROBLEM_FIELDS.includes(key))).toEqual([]);
}

/** Asserts a 429 `rate_limited` problem whose `Retry-After` is a whole number of seconds in (0, maxSeconds]. */
export function expectRateLimited(res: Response, maxSeconds: number): void {
  expectProblem(res, 429, 'rate_limited');
  expect(res.headers['retry-after']).toMatch(/^\d+$/);
  const seconds = Number(res.headers['retry-after']);
  expect(seconds).toBeGreaterThan(0);
  expect(seconds).toBeLessThanOrEqual(maxSeconds);
}
