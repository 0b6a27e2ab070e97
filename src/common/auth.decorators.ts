import { createParamDecorator, SetMetadata, type ExecutionContext } from '@nestjs/common';

/** Who an access token speaks for; set on the request by the JWT guard. */
export interface AuthenticatedUser {
  userId: number;
  sessionId: string;
}

export const IS_PUBLIC = 'isPublic';

/** Every route needs a valid access token unless it is marked public. */
export const Public = () => SetMetadata(IS_PUBLIC, true);

export const CurrentUser = createParamDecorator(
  (_data: unknown, context: ExecutionContext): AuthenticatedUser =>
    context.switchToHttp().getRequest<{ user: AuthenticatedUser }>().user,
);
