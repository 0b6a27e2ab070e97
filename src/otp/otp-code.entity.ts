import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';
import { epochMs } from '../database/epoch-ms.transformer';
import { User } from '../users/user.entity';

/** What a code may complete; a code of one purpose never completes another. */
export const CODE_PURPOSES = [
  'sign_in',
  'reauthenticate',
  'phone_change',
  'account_deletion',
  'account_recovery',
] as const;
export type CodePurpose = (typeof CODE_PURPOSES)[number];

/** Codes texted to a number the caller has not proven: SMS pumping's way in, so they are screened. */
export const SCREENED_PURPOSES: ReadonlySet<CodePurpose> = new Set(['sign_in', 'phone_change', 'account_recovery']);

/**
 * One issued code. Only the HMAC of the code is kept, and only the newest row of its scope (phone,
 * purpose and user) can be redeemed; older rows stay for auditing until purged.
 */
@Entity('otp_codes')
@Index('IDX_otp_codes_scope', ['phoneNumber', 'purpose', 'userId', 'id'])
@Index('IDX_otp_codes_user_id', ['userId'])
export class OtpCode {
  @PrimaryGeneratedColumn('increment')
  id: number;

  @Column({ name: 'phone_number', type: 'varchar', length: 20 })
  phoneNumber: string;

  @Column({ type: 'varchar', length: 20, default: 'sign_in' })
  purpose: CodePurpose;

  /** The signed-in user who asked for it; null for sign-in codes. */
  @Column({ name: 'user_id', type: 'integer', nullable: true })
  userId: number | null;

  @ManyToOne(() => User, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'user_id', foreignKeyConstraintName: 'FK_otp_codes_user_id' })
  user?: User;

  /** Hex HMAC-SHA256 of `phone:code` keyed by OTP_SECRET. */
  @Column({ name: 'code_hash', type: 'varchar', length: 64 })
  codeHash: string;

  @Column({ type: 'integer', default: 0 })
  attempts: number;

  @Column({ name: 'created_at', type: 'bigint', transformer: epochMs })
  createdAt: Date;

  @Column({ name: 'expires_at', type: 'bigint', transformer: epochMs })
  expiresAt: Date;

  @Column({ name: 'consumed_at', type: 'bigint', nullable: true, transformer: epochMs })
  consumedAt: Date | null;

  /** Set when a newer code replaces this one or its SMS could not be delivered. */
  @Column({ name: 'invalidated_at', type: 'bigint', nullable: true, transformer: epochMs })
  invalidatedAt: Date | null;
}
