import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { epochMs } from '../database/epoch-ms.transformer';
import type { AccessScope } from '../users/authenticated-user';
import { User } from '../users/user.entity';

export type RevocationReason =
  'logout' | 'revoked' | 'signed_out_elsewhere' | 'refresh_token_reused' | 'phone_number_changed' | 'account_recovered';

/**
 * One signed-in device. Only the `jti` of its current refresh token (and of the one before it,
 * for the reuse grace window) is stored, never a token.
 */
@Entity('sessions')
@Index('IDX_sessions_user_id', ['userId'])
export class Session {
  /** UUID, so ids in URLs cannot be enumerated. */
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id: string;

  @Column({ name: 'user_id', type: 'integer' })
  userId: number;

  @ManyToOne(() => User, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'user_id', foreignKeyConstraintName: 'FK_sessions_user_id' })
  user?: User;

  @Column({ name: 'refresh_jti', type: 'varchar', length: 36 })
  refreshJti: string;

  @Column({ name: 'previous_refresh_jti', type: 'varchar', length: 36, nullable: true })
  previousRefreshJti: string | null;

  /** When the current refresh token was issued; the grace window counts from here. */
  @Column({ name: 'rotated_at', type: 'bigint', transformer: epochMs })
  rotatedAt: Date;

  @Column({ name: 'created_at', type: 'bigint', transformer: epochMs })
  createdAt: Date;

  @Column({ name: 'last_used_at', type: 'bigint', transformer: epochMs })
  lastUsedAt: Date;

  /** When the user last proved who they are on this session: its sign-in, or a re-authentication. */
  @Column({ name: 'authenticated_at', type: 'bigint', transformer: epochMs })
  authenticatedAt: Date;

  /** Absolute end: created_at + SESSION_MAX_AGE. */
  @Column({ name: 'expires_at', type: 'bigint', transformer: epochMs })
  expiresAt: Date;

  @Column({ name: 'revoked_at', type: 'bigint', nullable: true, transformer: epochMs })
  revokedAt: Date | null;

  @Column({ name: 'revoked_reason', type: 'varchar', length: 32, nullable: true })
  revokedReason: RevocationReason | null;

  @Column({ type: 'varchar', length: 16, default: 'full' })
  scope: AccessScope;

  @Column({ name: 'user_agent', type: 'varchar', length: 512, nullable: true })
  userAgent: string | null;

  @Column({ type: 'varchar', length: 45, nullable: true })
  ip: string | null;
}
