import { Injectable } from '@nestjs/common';
import { Sql, query, type EntityRows, type Step } from '../database/sql';
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
  rename: sql.statement<{ id: number; firstName: string | null; lastName: string | null }>(
    (p) => `
      UPDATE users
      SET first_name = COALESCE(${p('firstName')}, first_name), last_name = COALESCE(${p('lastName')}, last_name)
      WHERE id = ${p('id')} AND is_active = TRUE
      RETURNING ${rows.selectList()}`,
  ),
});

/** The `users` table: its statements, and its rows as {@link User}s. */
@Injectable()
export class UsersRepository {
  readonly rows: EntityRows<User>;
  readonly statements: ReturnType<typeof usersStatements>;

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
}
