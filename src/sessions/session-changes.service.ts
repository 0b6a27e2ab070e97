import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { PhoneChangeRevocation } from '../config';
import type { Step } from '../database/sql';
import type { AuthenticatedUser } from '../users/authenticated-user';
import type { RevocationReason } from './session.entity';
import { SessionsRepository } from './sessions.repository';
import { SessionsService, sessionEnded, type ClientInfo } from './sessions.service';
import type { Generation } from './token.service';

/**
 * What the account's changes do to its sessions, each a step of the change's own transaction:
 * re-authentication, a second factor enrolled, a new number, a recovery, the account's deletion.
 */
@Injectable()
export class SessionChanges {
  constructor(
    private readonly sessions: SessionsRepository,
    private readonly lifecycle: SessionsService,
  ) {}

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
    yield* this.sessions.revoking({ of: 'all', userId }, reason, new Date());
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
      yield* this.sessions.revoking({ of: 'others', id: sessionId, userId: user.id }, 'phone_number_changed', now);
    }
    const renewed = yield* this.sessions.renew(sessionId, randomUUID(), now);
    if (!renewed) throw sessionEnded();
    return renewed;
  }

  /** Every session of the user, gone (a step of the account's deletion). */
  *deleteAllOf(userId: number): Step<void> {
    yield* this.sessions.deleteOfUser(userId);
  }
}
