import { Inject, Injectable, type ExecutionContext } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { Reflector } from '@nestjs/core';
import { AuthGuard } from '@nestjs/passport';
import { ALLOWED_BEFORE_MFA, IS_PUBLIC, REQUIRES_RECENT_AUTH } from '../common/auth.decorators';
import { ProblemException } from '../common/errors/problem.exception';
import { accountConfig, mfaConfig } from '../config';
import type { AuthenticatedUser } from '../users/authenticated-user';

/** Installed globally: a route is protected unless it is marked `@Public()`. */
@Injectable()
export class JwtAuthGuard extends AuthGuard('jwt') {
  constructor(
    private readonly reflector: Reflector,
    @Inject(accountConfig.KEY) private readonly account: ConfigType<typeof accountConfig>,
    @Inject(mfaConfig.KEY) private readonly mfa: ConfigType<typeof mfaConfig>,
  ) {
    super();
  }

  canActivate(context: ExecutionContext) {
    const isPublic = this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, [context.getHandler(), context.getClass()]);
    return isPublic || super.canActivate(context);
  }

  handleRequest<TUser>(error: unknown, user: TUser | false, info: unknown, context: ExecutionContext): TUser {
    // An error here came from validate(), i.e. from the session lookup: an outage, not a bad
    // token. Answering 401 would make clients throw their tokens away; the filter answers 503.
    // eslint-disable-next-line @typescript-eslint/only-throw-error -- rethrown as received, possibly from another realm
    if (error) throw error;
    if (!user) {
      const expired = info instanceof Error && info.name === 'TokenExpiredError';
      throw new ProblemException('unauthorized', expired ? { detail: 'The access token has expired.' } : {});
    }
    const caller = user as unknown as AuthenticatedUser;
    const targets = [context.getHandler(), context.getClass()];
    if (!this.mayCall(caller, targets)) {
      throw new ProblemException('mfa_enrolment_required');
    }
    if (this.reflector.getAllAndOverride<boolean>(REQUIRES_RECENT_AUTH, targets) && !this.isRecent(caller)) {
      throw new ProblemException('reauthentication_required');
    }
    return user;
  }

  /** A session limited to enrolment may call only the enrolment routes, while MFA_POLICY still says so. */
  private mayCall({ scope }: AuthenticatedUser, targets: Parameters<Reflector['getAllAndOverride']>[1]): boolean {
    if (scope === 'full' || this.mfa.policy !== 'required') return true;
    return this.reflector.getAllAndOverride<boolean>(ALLOWED_BEFORE_MFA, targets) ?? false;
  }

  private isRecent({ authenticatedAt }: AuthenticatedUser): boolean {
    return Date.now() - authenticatedAt.getTime() <= this.account.reauthMaxAgeMs;
  }
}
