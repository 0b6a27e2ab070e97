import { Injectable } from '@nestjs/common';
import { ProblemException } from '../common/errors/problem.exception';
import { sql, Sql } from '../common/sql';
import type { UpdateProfileDto } from './dto/update-profile.dto';
import { toUserResponse, type ProfileResponseDto } from './dto/user-response.dto';
import type { User } from './user.entity';
import { userColumns, userFromRow, type UserRow } from './user-row';

export interface SignIn {
  user: User;
  isNewUser: boolean;
}

/**
 * One statement whether or not the user exists; parallel first sign-ins meet in the unique
 * index and all get the one row. Only possession of the number is recorded here: last_login is
 * set once the sign-in completes.
 */
const FIND_OR_CREATE = sql(`
  INSERT INTO users (phone_number, username, first_name, last_name, is_phone_verified, is_active, date_joined)
  VALUES ($1, $1, '', '', TRUE, TRUE, $2)
  ON CONFLICT (phone_number) DO UPDATE SET is_phone_verified = TRUE
  RETURNING ${userColumns()}`);

const RECORD_SIGN_IN = sql(`UPDATE users SET last_login = $2 WHERE id = $1`);

const RENAME = sql(`
  UPDATE users SET first_name = COALESCE($2, first_name), last_name = COALESCE($3, last_name)
  WHERE id = $1 AND is_active = TRUE
  RETURNING ${userColumns()}`);

@Injectable()
export class UsersService {
  constructor(private readonly sql: Sql) {}

  /**
   * The user who just proved they own `phoneNumber` (E.164), created on first sign-in. A user is
   * new until a sign-in completes (recordSignIn sets `last_login`), so a sign-in that failed
   * half-way is still reported as the first one when it is retried.
   */
  async findOrCreate(phoneNumber: string): Promise<SignIn> {
    const { rows } = await this.sql.run<UserRow>(FIND_OR_CREATE, [phoneNumber, Date.now()]);
    const user = userFromRow(rows[0]);
    return { user, isNewUser: user.lastLogin === null };
  }

  async recordSignIn(id: number): Promise<void> {
    await this.sql.run(RECORD_SIGN_IN, [id, Date.now()]);
  }

  /** The user the guard loaded with the caller's session. */
  getProfile(user: User): ProfileResponseDto {
    return { user: toUserResponse(user) };
  }

  /** Only the names change here; the phone number is the identity and is changed by no endpoint. */
  async updateProfile(id: number, changes: UpdateProfileDto): Promise<ProfileResponseDto> {
    const { rows } = await this.sql.run<UserRow>(RENAME, [id, changes.first_name ?? null, changes.last_name ?? null]);
    if (!rows.length) throw new ProblemException('unauthorized');
    return { user: toUserResponse(userFromRow(rows[0])) };
  }
}
