import type { User } from '../users/user.entity';
import { createParamDecorator, SetMetadata, type ExecutionContext } from '@nestjs/common';

/** Who an access token speaks for; set on the request by the JWT guard. */
export interface AuthenticatedUser {
  userId: number;
  sessionId: string;
  /** Read with the session, in the same statement: the profile needs no second one. */
  user: User;
}

export const IS_PUBLIC = 'isPublic';

/** Every route needs a valid access token unless it is marked public. */
export const Public = () => SetMetadata(IS_PUBLIC, true);

export const CurrentUser = createParamDecorator(
  (_data: unknown, context: ExecutionContext): AuthenticatedUser =>
    context.switchToHttp().getRequest<{ user: AuthenticatedUser }>().user,
);
