import { Injectable } from '@nestjs/common';
import { AuditTrail } from '../audit/audit-trail.service';
import { ProblemException } from '../common/errors/problem.exception';
import { Sql } from '../database/sql';
import { OtpService } from '../otp/otp.service';
import { SessionChanges } from '../sessions/session-changes.service';
import { SessionsRepository } from '../sessions/sessions.repository';
import { isUsable, type User } from '../users/user.entity';
import { UsersRepository } from '../users/users.repository';
import { UsersService } from '../users/users.service';
import type { Admin } from './admin-token.guard';
import { AdminUsersService, noSuchUser } from './admin-users.service';
import type { AdminUserResponseDto } from './dto/admin-user.dto';
import type { UpdateUserDto } from './dto/update-user.dto';

/**
 * What admins do to users. Each action and its audit event (the admin's token name as the actor)
 * are one transaction: there is no action without its event, nor an event of an action that
 * rolled back.
 */
@Injectable()
export class AdminUserChanges {
  constructor(
    private readonly users: UsersRepository,
    private readonly accounts: UsersService,
    private readonly sessions: SessionsRepository,
    private readonly sessionChanges: SessionChanges,
    private readonly otp: OtpService,
    private readonly trail: AuditTrail,
    private readonly sql: Sql,
    private readonly view: AdminUsersService,
  ) {}

  /**
   * Deactivates, reactivates, bans or unbans. Sessions are kept: every use of a token checks the
   * user, so a ban bites on the next request and lifting it lets the same devices back in.
   */
  async update(admin: Admin, id: number, changes: UpdateUserDto): Promise<AdminUserResponseDto> {
    const now = new Date();
    checkUpdate(changes, now);
    const { users, trail } = this;
    const user = await this.sql.transaction(function* () {
      const before = yield* users.findById(id);
      if (!before) return undefined;
      const isActive = changes.is_active ?? before.isActive;
      const bannedUntil = changes.banned_until === undefined ? before.bannedUntil : changes.banned_until;
      const disabledReason = isUsable({ isActive, bannedUntil }, now)
        ? null
        : (changes.reason ?? before.disabledReason);
      const after = (yield* users.setAccess(id, { isActive, bannedUntil, disabledReason }))!;
      yield* trail.record(
        {
          type: 'admin_user_updated',
          actor: admin.name,
          userId: id,
          phoneNumber: before.phoneNumber,
          reason: kindOfUpdate(before, after, now),
          detail: changes.reason,
        },
        now,
      );
      return after;
    });
    if (!user) throw noSuchUser();
    return { user: this.view.view(user) };
  }

  /** Erases the user, their sessions and codes (factors and passkeys go with the user's row). */
  async delete(admin: Admin, id: number): Promise<void> {
    const now = new Date();
    const { users, accounts, sessionChanges, otp, trail } = this;
    const deleted = await this.sql.transaction(function* () {
      const user = yield* users.findById(id);
      if (!user) return false;
      yield* sessionChanges.deleteAllOf(id);
      yield* otp.deleteOfAccount(id, user.phoneNumber);
      yield* accounts.delete(id);
      yield* trail.record(
        { type: 'admin_user_deleted', actor: admin.name, userId: id, phoneNumber: user.phoneNumber },
        now,
      );
      return true;
    });
    if (!deleted) throw noSuchUser();
  }

  /** Ends one live session of the user (`sessionId`), or all of them; their tokens die at once. */
  async revokeSessions(admin: Admin, userId: number, sessionId?: string): Promise<void> {
    const now = new Date();
    const { users, sessions, trail } = this;
    const found = await this.sql.transaction(function* () {
      const user = yield* users.findById(userId);
      if (!user) return 'no_user';
      const which = sessionId ? { of: 'own' as const, id: sessionId, userId } : { of: 'all' as const, userId };
      if (!(yield* sessions.revoking(which, 'revoked', now)) && sessionId) return 'no_session';
      yield* trail.record(
        {
          type: 'admin_sessions_revoked',
          actor: admin.name,
          userId,
          phoneNumber: user.phoneNumber,
          sessionId,
          reason: sessionId ? undefined : 'all',
        },
        now,
      );
      return 'revoked';
    });
    if (found === 'no_user') throw noSuchUser();
    if (found === 'no_session') {
      throw new ProblemException('not_found', { detail: 'This user has no live session with this id.' });
    }
  }
}

/** What the body alone must get right; the rest depends on the user as stored. */
function checkUpdate(changes: UpdateUserDto, now: Date): void {
  if (changes.is_active === undefined && changes.banned_until === undefined) {
    throw invalid('is_active', 'Nothing to change: give is_active, banned_until or both.');
  }
  if (changes.banned_until && changes.banned_until.getTime() <= now.getTime()) {
    throw invalid('banned_until', 'banned_until must be in the future; send null to lift a ban.');
  }
  if ((changes.is_active === false || changes.banned_until) && !changes.reason) {
    throw invalid('reason', 'A reason is required to deactivate or ban a user.');
  }
}

function invalid(field: string, message: string): ProblemException {
  return new ProblemException('validation_failed', { detail: message, errors: [{ field, message }] });
}

/** The audit event's reason: the one change made, or `updated` for several (or none). */
function kindOfUpdate(before: User, after: User, now: Date): string {
  const banned = (user: User) => user.bannedUntil !== null && user.bannedUntil.getTime() > now.getTime();
  const kinds = [
    before.isActive && !after.isActive && 'deactivated',
    !before.isActive && after.isActive && 'reactivated',
    banned(after) && before.bannedUntil?.getTime() !== after.bannedUntil?.getTime() && 'banned',
    banned(before) && !banned(after) && 'unbanned',
  ].filter((kind): kind is string => typeof kind === 'string');
  return kinds.length === 1 ? kinds[0] : 'updated';
}
