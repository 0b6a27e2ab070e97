import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { PhoneChangeRevocation } from '../config';
import { AuditTrail, type AuditRecord } from '../audit/audit-trail.service';
import type { Step } from '../database/sql';
import type { AuthenticatedUser } from '../users/authenticated-user';
import type { User } from '../users/user.entity';
import type { RevocationReason } from './session.entity';
import { SessionsRepository, type Revocation } from './sessions.repository';
import { SessionsService, sessionEnded, type ClientInfo } from './sessions.service';
import type { Generation } from './token.service';

/**
 * What the account's changes do to its sessions, each a step of the change's own transaction:
 * a sign-in, re-authentication, a second factor enrolled, a new number, a recovery, the account's
 * deletion; and the events that record them.
 */
@Injectable()
export class SessionChanges {
  constructor(
    private readonly sessions: SessionsRepository,
    private readonly lifecycle: SessionsService,
    private readonly audit: AuditTrail,
  ) {}

  /**
   * Records the sign-in that opened `session`, as a step of the same transaction; `before` are
   * events of the same transaction to write with it (the code it spent), in one statement.
   */
  *signedIn(
    user: Pick<User, 'id' | 'phoneNumber'>,
    session: Generation,
    client: ClientInfo,
    method: 'otp' | 'mfa' | 'passkey' | 'recovery',
    { isNewUser = false, before = [] }: { isNewUser?: boolean; before?: AuditRecord[] } = {},
  ): Step<void> {
    const { phoneNumber, id: userId } = user;
    const event = { type: 'sign_in', reason: method, phoneNumber, userId, sessionId: session.id, isNewUser } as const;
    yield* this.audit.record([...before, { ...event, ip: client.ip }], session.rotatedAt);
  }

  /** The caller proved who they are again (a step of the transaction that spends their code). */
  *reauthenticate({ sessionId }: AuthenticatedUser, at: Date): Step<void> {
    if (!(yield* this.sessions.reauthenticated(sessionId, at))) throw sessionEnded();
  }

  /** The caller enrolled a second factor: a session limited to enrolment may do everything now. */
  *widen({ sessionId, scope }: AuthenticatedUser): Step<void> {
    if (scope !== 'full' && !(yield* this.sessions.widen(sessionId))) throw sessionEnded();
  }

  /** Ends every session of the user and opens one for the client (a step of an account's recovery). */
  *replaceAll(userId: number, reason: RevocationReason, client: ClientInfo): Step<Generation> {
    yield* this.revoke({ of: 'all', userId }, reason, client);
    return yield* this.lifecycle.open(userId, client);
  }

  /**
   * After the user's number changed: ends the sessions `revoke` names, and gives the caller a
   * fresh generation of their session, or a new session when their own was among those ended.
   */
  *afterPhoneChange(
    { sessionId, user }: AuthenticatedUser,
    revoke: PhoneChangeRevocation,
    client: ClientInfo,
  ): Step<Generation> {
    const now = new Date();
    if (revoke === 'all') return yield* this.replaceAll(user.id, 'phone_number_changed', client);
    if (revoke === 'others') {
      yield* this.revoke({ of: 'others', id: sessionId, userId: user.id }, 'phone_number_changed', client, now);
    }
    const renewed = yield* this.sessions.renew(sessionId, randomUUID(), now);
    if (!renewed) throw sessionEnded();
    return renewed;
  }

  /** Every session of the user, gone (a step of the account's deletion). */
  *deleteAllOf(userId: number): Step<void> {
    yield* this.sessions.deleteOfUser(userId);
  }

  /** One event for the sessions a statement ended, when it ended any. */
  private *revoke(
    which: Exclude<Revocation, { of: 'session' }>,
    reason: RevocationReason,
    client: ClientInfo,
    at = new Date(),
  ): Step<void> {
    if (!(yield* this.sessions.revoking(which, reason, at))) return;
    yield* this.audit.record({ type: 'session_revoked', reason, userId: which.userId, ip: client.ip }, at);
  }
}
