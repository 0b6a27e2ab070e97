import type { ExecutionContext } from '@nestjs/common';
import { hashAdminToken } from '../config';
import { ProblemException } from '../common/errors/problem.exception';
import { AdminTokenGuard, type AdminRequest } from './admin-token.guard';

function contextFor(request: AdminRequest): ExecutionContext {
  return { switchToHttp: () => ({ getRequest: () => request }) } as unknown as ExecutionContext;
}

function guardWith(...tokens: [string, string][]): AdminTokenGuard {
  const config = { tokens: tokens.map(([name, token]) => ({ name, hash: hashAdminToken(token) })) };
  return new AdminTokenGuard(config as never);
}

function problemOf(run: () => unknown): string | undefined {
  try {
    run();
  } catch (error) {
    return error instanceof ProblemException ? error.code : 'not a problem';
  }
  return undefined;
}

describe('AdminTokenGuard', () => {
  const guard = guardWith(['ops', 'first-token'], ['ci', 'second-token']);

  it.each([
    ['first-token', 'ops'],
    ['second-token', 'ci'],
  ])('admits the bearer token %s and names its admin', (token, name) => {
    const request: AdminRequest = { headers: { authorization: `Bearer ${token}` } };
    expect(guard.canActivate(contextFor(request))).toBe(true);
    expect(request.admin).toEqual({ name });
  });

  it.each([
    ['no header', undefined],
    ['another token', 'Bearer third-token'],
    ['a token that only starts right', 'Bearer first-token-and-more'],
    ['another scheme', 'Basic first-token'],
    ['two tokens', 'Bearer first-token second-token'],
  ])('refuses %s as unauthorized', (_case, authorization) => {
    const request: AdminRequest = { headers: { authorization } };
    expect(problemOf(() => guard.canActivate(contextFor(request)))).toBe('unauthorized');
    expect(request.admin).toBeUndefined();
  });

  it('answers not_found, as for a route that does not exist, when no admin token is configured', () => {
    const request: AdminRequest = { headers: { authorization: 'Bearer first-token' } };
    expect(problemOf(() => guardWith().canActivate(contextFor(request)))).toBe('not_found');
  });
});
