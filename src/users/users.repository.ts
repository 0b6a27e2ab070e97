import { Injectable } from '@nestjs/common';
import { Sql, query, type EntityRows, type Statement, type Step } from '../database/sql';
import { User, usableUserSql } from './user.entity';

const usersStatements = (sql: Sql, rows: EntityRows<User>) => ({
  /**
   * One statement whether or not the user exists; parallel first sign-ins meet in the unique
   * index and all get the one row. Only possession of the number is recorded here.
   */
  findOrCreate: sql.statement<{ phoneNumber: string; now: number }>(
    (p) => `
      INSERT INTO users (phone_number, username, first_name, last_name, is_phone_verified, is_active, date_joined)
      VALUES (${p('phoneNumber')}, ${p('phoneNumber')}, '', '', TRUE, TRUE, ${p('now')})
      ON CONFLICT (phone_number) DO UPDATE SET is_phone_verified = TRUE
      RETURNING ${rows.selectList()}`,
  ),
  /** A sign-in completes only while the user is usable (active, not banned) and still holds the number it proved. */
  recordSignIn: sql.statement<{ id: number; phoneNumber: string; at: number }>(
    (p) => `
      UPDATE users SET last_login = ${p('at')}
      WHERE id = ${p('id')} AND phone_number = ${p('phoneNumber')} AND ${usableUserSql('users', p('at'))}
      RETURNING ${rows.selectList()}`,
  ),
  findByPhoneNumber: sql.statement<{ phoneNumber: string }>(
    (p) => `SELECT ${rows.selectList()} FROM users WHERE phone_number = ${p('phoneNumber')}`,
  ),
  /**
   * Moves the user to a new number, if they still hold `from`; the unique index refuses a number
   * another account holds, also when two users claim it at once. The username follows the number
   * it was made from.
   */
  changePhoneNumber: sql.statement<{ id: number; from: string; to: string }>(
    (p) => `
      UPDATE users
      SET phone_number = ${p('to')}, username = CASE WHEN username = phone_number THEN ${p('to')} ELSE username END
      WHERE id = ${p('id')} AND phone_number = ${p('from')} AND is_active = TRUE
      RETURNING ${rows.selectList()}`,
  ),
  delete: sql.statement<{ id: number }>((p) => `DELETE FROM users WHERE id = ${p('id')}`),
  findById: sql.statement<{ id: number }>((p) => `SELECT ${rows.selectList()} FROM users WHERE id = ${p('id')}`),
  /** An admin's deactivation, ban or their lifting: the next request of the user's tokens sees it. */
  setAccess: sql.statement<{ id: number; isActive: number; bannedUntil: number | null; reason: string | null }>(
    (p) => `
      UPDATE users
      SET is_active = CASE WHEN ${p('isActive')} = 1 THEN TRUE ELSE FALSE END, banned_until = ${p('bannedUntil')},
        disabled_reason = ${p('reason')}
      WHERE id = ${p('id')}
      RETURNING ${rows.selectList()}`,
  ),
  rename: sql.statement<{ id: number; firstName: string | null; lastName: string | null }>(
    (p) => `
      UPDATE users
      SET first_name = COALESCE(${p('firstName')}, first_name), last_name = COALESCE(${p('lastName')}, last_name)
      WHERE id = ${p('id')} AND is_active = TRUE
      RETURNING ${rows.selectList()}`,
  ),
});

/** What an admin's user list filters on; every field optional but the page size. */
export interface UserSearch {
  /** E.164 prefix: `+` and digits only, so nothing in it is a LIKE wildcard. */
  phonePrefix?: string;
  createdAfter?: Date;
  createdBefore?: Date;
  /** Only usable users (active, not banned at `now`), or only the others. */
  usable?: boolean;
  /** Keyset pagination: users with a smaller id (the list is newest first). */
  beforeId?: number;
  limit: number;
}

type UserSearchParams = {
  beforeId: number | null;
  prefix: string | null;
  after: number | null;
  before: number | null;
  now: number;
  limit: number;
};

/** The `users` table: its statements, and its rows as {@link User}s. */
@Injectable()
export class UsersRepository {
  readonly rows: EntityRows<User>;
  readonly statements: ReturnType<typeof usersStatements>;
  /** The admin list's statements, one per set of filters used (values are always placeholders). */
  private readonly searches = new Map<string, Statement<UserSearchParams>>();

  constructor(private readonly sql: Sql) {
    this.rows = sql.rowsOf(User);
    this.statements = usersStatements(sql, this.rows);
  }

  *findOrCreate(phoneNumber: string, now: Date): Step<User> {
    const { rows } = yield* query(this.statements.findOrCreate, { phoneNumber, now: now.getTime() });
    return this.rows.hydrate(rows[0]);
  }

  /** The signed-in user; undefined when they are inactive, banned or no longer hold `phoneNumber`. */
  *recordSignIn(id: number, phoneNumber: string, at: Date): Step<User | undefined> {
    const { rows } = yield* query(this.statements.recordSignIn, { id, phoneNumber, at: at.getTime() });
    return rows[0] && this.rows.hydrate(rows[0]);
  }

  async findByPhoneNumber(phoneNumber: string): Promise<User | undefined> {
    const row = await this.sql.first(this.statements.findByPhoneNumber, { phoneNumber });
    return row && this.rows.hydrate(row);
  }

  /** The user on their new number; undefined when they no longer held `from` or are inactive. */
  *changePhoneNumber(id: number, from: string, to: string): Step<User | undefined> {
    const { rows } = yield* query(this.statements.changePhoneNumber, { id, from, to });
    return rows[0] && this.rows.hydrate(rows[0]);
  }

  /** Whether there was such a user. */
  *delete(id: number): Step<boolean> {
    return (yield* query(this.statements.delete, { id })).affected > 0;
  }

  /** Sets the names given (null keeps one); undefined when the user is gone or inactive. */
  async rename(id: number, firstName: string | null, lastName: string | null): Promise<User | undefined> {
    const row = await this.sql.first(this.statements.rename, { id, firstName, lastName });
    return row && this.rows.hydrate(row);
  }

  *findById(id: number): Step<User | undefined> {
    const { rows } = yield* query(this.statements.findById, { id });
    return rows[0] && this.rows.hydrate(rows[0]);
  }

  /** Sets the admin-controlled access columns; undefined when there is no such user. */
  *setAccess(id: number, access: Pick<User, 'isActive' | 'bannedUntil' | 'disabledReason'>): Step<User | undefined> {
    const { rows } = yield* query(this.statements.setAccess, {
      id,
      isActive: Number(access.isActive),
      bannedUntil: access.bannedUntil?.getTime() ?? null,
      reason: access.disabledReason,
    });
    return rows[0] && this.rows.hydrate(rows[0]);
  }

  /** A page of users, newest first (cold: the admin API). */
  async search(search: UserSearch, now: Date): Promise<User[]> {
    const { rows } = await this.sql.run(this.searchStatement(search), {
      beforeId: search.beforeId ?? null,
      prefix: search.phonePrefix === undefined ? null : `${search.phonePrefix}%`,
      after: search.createdAfter?.getTime() ?? null,
      before: search.createdBefore?.getTime() ?? null,
      now: now.getTime(),
      limit: search.limit,
    });
    return rows.map((row) => this.rows.hydrate(row));
  }

  private searchStatement(search: UserSearch): Statement<UserSearchParams> {
    const key = JSON.stringify([
      search.beforeId !== undefined,
      search.phonePrefix !== undefined,
      search.createdAfter !== undefined,
      search.createdBefore !== undefined,
      search.usable ?? null,
    ]);
    let statement = this.searches.get(key);
    if (!statement) {
      statement = this.sql.statement<UserSearchParams>((p) => {
        const where = [
          search.beforeId !== undefined && `id < ${p('beforeId')}`,
          search.phonePrefix !== undefined && `phone_number LIKE ${p('prefix')}`,
          search.createdAfter !== undefined && `date_joined >= ${p('after')}`,
          search.createdBefore !== undefined && `date_joined < ${p('before')}`,
          search.usable === true && usableUserSql('users', p('now')),
          search.usable === false && `NOT (${usableUserSql('users', p('now'))})`,
        ].filter(Boolean);
        return `
          SELECT ${this.rows.selectList()} FROM users ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
          ORDER BY id DESC LIMIT ${p('limit')}`;
      });
      this.searches.set(key, statement);
    }
    return statement;
  }
}
