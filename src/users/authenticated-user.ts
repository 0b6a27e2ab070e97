import type { User } from './user.entity';

/**
 * What a session's tokens may do: everything, or (MFA_POLICY=required, no second factor yet)
 * only enrol one.
 */
export type AccessScope = 'full' | 'mfa_enrolment';

/** Who an access token speaks for; the JWT guard puts it on the request. */
export interface AuthenticatedUser {
  sessionId: string;
  /** Read with the session, in the same statement: the profile needs no second one. */
  user: User;
  /** When the user last proved who they are on this session: its sign-in, or a re-authentication. */
  authenticatedAt: Date;
  scope: AccessScope;
}
