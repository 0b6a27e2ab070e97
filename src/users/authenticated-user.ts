import type { User } from './user.entity';

/** Who an access token speaks for; the JWT guard puts it on the request. */
export interface AuthenticatedUser {
  sessionId: string;
  /** Read with the session, in the same statement: the profile needs no second one. */
  user: User;
}
