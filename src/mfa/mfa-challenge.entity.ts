import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { epochMs } from '../database/epoch-ms.transformer';
import { User } from '../users/user.entity';

/**
 * A phone sign-in waiting for its second factor. The client holds the `mfa_token`; only its
 * SHA-256 is stored, so a leaked table completes no sign-in.
 */
@Entity('mfa_challenges')
@Index('IDX_mfa_challenges_user_id', ['userId'])
export class MfaChallenge {
  @PrimaryColumn({ name: 'token_hash', type: 'varchar', length: 64 })
  tokenHash: string;

  @Column({ name: 'user_id', type: 'integer' })
  userId: number;

  @ManyToOne(() => User, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'user_id', foreignKeyConstraintName: 'FK_mfa_challenges_user_id' })
  user?: User;

  /** The number whose code started the sign-in; the challenge fails if the account has moved off it. */
  @Column({ name: 'phone_number', type: 'varchar', length: 20 })
  phoneNumber: string;

  @Column({ type: 'integer', default: 0 })
  attempts: number;

  @Column({ name: 'created_at', type: 'bigint', transformer: epochMs })
  createdAt: Date;

  @Column({ name: 'expires_at', type: 'bigint', transformer: epochMs })
  expiresAt: Date;

  @Column({ name: 'consumed_at', type: 'bigint', nullable: true, transformer: epochMs })
  consumedAt: Date | null;
}
