import { Injectable } from '@nestjs/common';
import { AuditEventsRepository } from '../audit/audit-events.repository';
import { AuditTrail } from '../audit/audit-trail.service';
import { ProblemException } from '../common/errors/problem.exception';
import { Sql } from '../database/sql';
import { SessionsRepository } from '../sessions/sessions.repository';
import type { User } from '../users/user.entity';
import { UsersRepository } from '../users/users.repository';
import { nextCursor } from './cursor';
import {
  toAdminSessionDto,
  toAdminUserDto,
  type AdminUserDetailDto,
  type AdminUserDto,
  type AdminUserListDto,
} from './dto/admin-user.dto';
import { toAuditEventDto } from './dto/audit-event.dto';
import type { ListUsersQueryDto } from './dto/list-users-query.dto';
import { DEFAULT_PAGE } from './dto/page-query.dto';

/** The user page shows this many of the user's sessions and events, newest first. */
const USER_SESSIONS = 100;
const USER_EVENTS = 50;

/** What admins read about users: never a full number, a code or a token. */
@Injectable()
export class AdminUsersService {
  constructor(
    private readonly users: UsersRepository,
    private readonly sessions: SessionsRepository,
    private readonly events: AuditEventsRepository,
    private readonly trail: AuditTrail,
    private readonly sql: Sql,
  ) {}

  async list(query: ListUsersQueryDto): Promise<AdminUserListDto> {
    const limit = query.limit ?? DEFAULT_PAGE;
    const prefix = query.phone_prefix;
    const rows = await this.users.search(
      {
        phonePrefix: prefix === undefined || prefix.startsWith('+') ? prefix : `+${prefix}`,
        createdAfter: query.created_after,
        createdBefore: query.created_before,
        usable: query.active,
        beforeId: query.cursor,
        limit: limit + 1,
      },
      new Date(),
    );
    const { page, next } = nextCursor(rows, limit);
    return { users: page.map((user) => this.view(user)), next_cursor: next };
  }

  async get(id: number): Promise<AdminUserDetailDto> {
    const user = await this.sql.perform(this.users.findById(id));
    if (!user) throw noSuchUser();
    const phoneHash = this.trail.phoneHash(user.phoneNumber);
    const [sessions, events] = await Promise.all([
      this.sessions.listOfUser(id, USER_SESSIONS),
      this.events.ofUser(id, phoneHash, USER_EVENTS),
    ]);
    const now = new Date();
    return {
      user: toAdminUserDto(user, phoneHash),
      sessions: sessions.map((session) => toAdminSessionDto(session, now)),
      events: events.map(toAuditEventDto),
    };
  }

  view(user: User): AdminUserDto {
    return toAdminUserDto(user, this.trail.phoneHash(user.phoneNumber));
  }
}

export function noSuchUser(): ProblemException {
  return new ProblemException('not_found', { detail: 'No user has this id.' });
}
