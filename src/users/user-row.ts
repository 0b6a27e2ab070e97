import { toDate, toDateOrNull } from '../common/sql';
import type { User } from './user.entity';

/** A `users` row as the drivers return it (see {@link userFromRow}). */
export interface UserRow {
  id: number;
  phone_number: string;
  username: string;
  first_name: string;
  last_name: string;
  is_phone_verified: boolean | number;
  is_active: boolean | number;
  date_joined: string | number;
  last_login: string | number | null;
}

const USER_COLUMNS = [
  'id',
  'phone_number',
  'username',
  'first_name',
  'last_name',
  'is_phone_verified',
  'is_active',
  'date_joined',
  'last_login',
];

/** The `users` columns a {@link UserRow} holds, optionally qualified by a table alias. */
export function userColumns(alias?: string): string {
  const prefix = alias ? `${alias}.` : '';
  return USER_COLUMNS.map((column) => prefix + column).join(', ');
}

/** SQLite returns booleans as 0/1, PostgreSQL returns BIGINT as a string. */
export function userFromRow(row: UserRow): User {
  return {
    id: Number(row.id),
    phoneNumber: row.phone_number,
    username: row.username,
    firstName: row.first_name,
    lastName: row.last_name,
    isPhoneVerified: Boolean(row.is_phone_verified),
    isActive: Boolean(row.is_active),
    dateJoined: toDate(row.date_joined),
    lastLogin: toDateOrNull(row.last_login),
  };
}
