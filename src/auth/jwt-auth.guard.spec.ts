import type { ExecutionContext } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { Reflector } from '@nestjs/core';
import { AllowedBeforeMfa, RequiresRecentAuth } from '../common/auth.decorators';
import { ProblemException } from '../common/errors/problem.exception';
import type { accountConfig, MfaPolicy, mfaConfig } from '../config';
import type { AuthenticatedUser } from '../users/authenticated-user';
import type { User } from '../users/user.entity';
import { JwtAuthGuard } from './jwt-auth.guard';

class Routes {
  profile(): void {}

  @AllowedBeforeMfa()
  enrol(): void {}

  @RequiresRecentAuth()
  deleteAccount(): void {}
}

const contextOf = (handler: keyof Routes) =>
  ({ getHandler: () => Routes.prototype[handler], getClass: () => Routes }) as unknown as ExecutionContext;

const guard = (policy: MfaPolicy) =>
  new JwtAuthGuard(
    new Reflector(),
    { reauthMaxAgeMs: 600_000 } as ConfigType<typeof accountConfig>,
    { policy } as ConfigType<typeof mfaConfig>,
  );

const caller = (changes: Partial<AuthenticatedUser> = {}): AuthenticatedUser => ({
  sessionId: '00000000-0000-4000-8000-000000000001',
  user: { id: 1 } as User,
  authenticatedAt: new Date(),
  scope: 'full',
  ...changes,
});

const refusal = (run: () => unknown) => {
  try {
    run();
    return undefined;
  } catch (error) {
    return error instanceof ProblemException ? error.code : error;
  }
};

describe('JwtAuthGuard', () => {
  it('lets a session limited to enrolment call only the routes marked AllowedBeforeMfa, under MFA_POLICY=required', () => {
    const limited = caller({ scope: 'mfa_enrolment' });
    expect(refusal(() => guard('required').handleRequest(null, limited, null, contextOf('profile')))).toBe(
      'mfa_enrolment_required',
    );
    expect(guard('required').handleRequest(null, limited, null, contextOf('enrol'))).toBe(limited);
  });

  it('lifts the enrolment limit of open sessions once MFA_POLICY is optional again', () => {
    const limited = caller({ scope: 'mfa_enrolment' });
    expect(guard('optional').handleRequest(null, limited, null, contextOf('profile'))).toBe(limited);
  });

  it('asks for a recent authentication only on routes that require one', () => {
    const stale = caller({ authenticatedAt: new Date(Date.now() - 601_000) });
    expect(guard('optional').handleRequest(null, stale, null, contextOf('profile'))).toBe(stale);
    expect(refusal(() => guard('optional').handleRequest(null, stale, null, contextOf('deleteAccount')))).toBe(
      'reauthentication_required',
    );
  });

  it('answers unauthorized without a user, and says when the token expired', () => {
    const expired = Object.assign(new Error('jwt expired'), { name: 'TokenExpiredError' });
    expect(refusal(() => guard('optional').handleRequest(null, false, expired, contextOf('profile')))).toBe(
      'unauthorized',
    );
  });
});
