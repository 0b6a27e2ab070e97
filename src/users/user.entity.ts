import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';
import { epochMs } from '../database/epoch-ms.transformer';

@Entity('users')
@Index('UQ_users_phone_number', ['phoneNumber'], { unique: true })
@Index('UQ_users_username', ['username'], { unique: true })
export class User {
  @PrimaryGeneratedColumn('increment')
  id: number;

  /** E.164. */
  @Column({ name: 'phone_number', type: 'varchar', length: 20 })
  phoneNumber: string;

  /** The seed's Django username, which it set to the phone number. */
  @Column({ type: 'varchar', length: 150 })
  username: string;

  @Column({ name: 'first_name', type: 'varchar', length: 150, default: '' })
  firstName: string;

  @Column({ name: 'last_name', type: 'varchar', length: 150, default: '' })
  lastName: string;

  @Column({ name: 'is_phone_verified', type: 'boolean' })
  isPhoneVerified: boolean;

  @Column({ name: 'is_active', type: 'boolean' })
  isActive: boolean;

  @Column({ name: 'date_joined', type: 'bigint', transformer: epochMs })
  dateJoined: Date;

  @Column({ name: 'last_login', type: 'bigint', nullable: true, transformer: epochMs })
  lastLogin: Date | null;

  /** Set by an admin: until then the user can neither sign in nor use a token. */
  @Column({ name: 'banned_until', type: 'bigint', nullable: true, transformer: epochMs })
  bannedUntil: Date | null;

  /** The admin's reason for the deactivation or the ban, shown on the admin console. */
  @Column({ name: 'disabled_reason', type: 'varchar', length: 200, nullable: true })
  disabledReason: string | null;
}

/** Whether the user may sign in and use their tokens at `now`: active and not banned. */
export function isUsable(user: Pick<User, 'isActive' | 'bannedUntil'>, now: Date): boolean {
  return user.isActive && (user.bannedUntil === null || user.bannedUntil.getTime() <= now.getTime());
}

/**
 * The same test in SQL, for a statement that reads or changes only usable users: `alias` names
 * the users table and `now` is the statement's placeholder for the time in epoch milliseconds.
 */
export function usableUserSql(alias: string, now: string): string {
  return `${alias}.is_active = TRUE AND (${alias}.banned_until IS NULL OR ${alias}.banned_until <= ${now})`;
}
