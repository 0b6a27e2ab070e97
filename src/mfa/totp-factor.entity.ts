import { Column, Entity, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { bigintNumber, epochMs } from '../database/epoch-ms.transformer';
import { User } from '../users/user.entity';

/**
 * A user's authenticator app (RFC 6238): pending until a code from it confirms the enrolment.
 * The shared secret is stored sealed (SecretBox), never in the clear.
 */
@Entity('totp_factors')
export class TotpFactor {
  @PrimaryColumn({ name: 'user_id', type: 'integer' })
  userId: number;

  @ManyToOne(() => User, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'user_id', foreignKeyConstraintName: 'FK_totp_factors_user_id' })
  user?: User;

  /** The base32 secret, sealed with MFA_ENCRYPTION_KEY and bound to the user. */
  @Column({ type: 'varchar', length: 200 })
  secret: string;

  @Column({ name: 'created_at', type: 'bigint', transformer: epochMs })
  createdAt: Date;

  /** Null while the enrolment is pending. */
  @Column({ name: 'confirmed_at', type: 'bigint', nullable: true, transformer: epochMs })
  confirmedAt: Date | null;

  /** The newest time step a code was accepted for; a code of that step or an older one is a replay. */
  @Column({ name: 'last_used_step', type: 'bigint', nullable: true, transformer: bigintNumber })
  lastUsedStep: number | null;
}
