import { createParamDecorator, SetMetadata, type ExecutionContext } from '@nestjs/common';

export const IS_PUBLIC = 'isPublic';

/** Every route needs a valid access token unless it is marked public. */
export const Public = () => SetMetadata(IS_PUBLIC, true);

export const REQUIRES_RECENT_AUTH = 'requiresRecentAuth';

/**
 * The route changes something an attacker holding a stolen token must not: the session must have
 * signed in or re-authenticated within REAUTH_MAX_AGE.
 */
export const RequiresRecentAuth = () => SetMetadata(REQUIRES_RECENT_AUTH, true);

export const ALLOWED_BEFORE_MFA = 'allowedBeforeMfa';

/**
 * Under MFA_POLICY=required a user without a second factor gets a session that can only enrol
 * one; routes marked with this (enrolment, re-authentication) are the ones it may call.
 */
export const AllowedBeforeMfa = () => SetMetadata(ALLOWED_BEFORE_MFA, true);

/** The principal the global guard put on the request (the auth feature decides its type). */
export const CurrentUser = createParamDecorator(
  (_data: unknown, context: ExecutionContext): unknown => context.switchToHttp().getRequest<{ user: unknown }>().user,
);
