import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { epochMs } from '../database/epoch-ms.transformer';
import { User } from '../users/user.entity';

/** What a ceremony's challenge may complete; one purpose's challenge never completes another. */
export type Ceremony = 'registration' | 'sign_in' | 'second_factor';

/**
 * A WebAuthn challenge handed out with a ceremony's options, kept in the database so that any
 * instance can finish a ceremony another began; used once.
 */
@Entity('webauthn_challenges')
@Index('IDX_webauthn_challenges_user_id', ['userId'])
export class WebAuthnChallenge {
  /** base64url, as it comes back in the response's clientDataJSON. */
  @PrimaryColumn({ type: 'varchar', length: 64 })
  challenge: string;

  @Column({ type: 'varchar', length: 16 })
  ceremony: Ceremony;

  /** Who the ceremony is for; null for a sign-in, where the passkey tells. */
  @Column({ name: 'user_id', type: 'integer', nullable: true })
  userId: number | null;

  @ManyToOne(() => User, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'user_id', foreignKeyConstraintName: 'FK_webauthn_challenges_user_id' })
  user?: User;

  @Column({ name: 'created_at', type: 'bigint', transformer: epochMs })
  createdAt: Date;

  @Column({ name: 'expires_at', type: 'bigint', transformer: epochMs })
  expiresAt: Date;

  @Column({ name: 'consumed_at', type: 'bigint', nullable: true, transformer: epochMs })
  consumedAt: Date | null;
}
