import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { bigintNumber, epochMs } from '../database/epoch-ms.transformer';
import { User } from '../users/user.entity';

/** A WebAuthn credential (passkey) of a user: its public key only; the private key never leaves the authenticator. */
@Entity('passkeys')
@Index('UQ_passkeys_credential_id', ['credentialId'], { unique: true })
@Index('IDX_passkeys_user_id', ['userId'])
export class Passkey {
  /** UUID, so ids in URLs cannot be enumerated. */
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id: string;

  @Column({ name: 'user_id', type: 'integer' })
  userId: number;

  @ManyToOne(() => User, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'user_id', foreignKeyConstraintName: 'FK_passkeys_user_id' })
  user?: User;

  /** base64url, as the browser reports it. */
  @Column({ name: 'credential_id', type: 'varchar', length: 1400 })
  credentialId: string;

  /** The COSE public key, base64url. */
  @Column({ name: 'public_key', type: 'text' })
  publicKey: string;

  /** The authenticator's signature counter at the last use; a lower one later means a clone. */
  @Column({ type: 'bigint', transformer: bigintNumber })
  counter: number;

  /** Comma-separated, as the browser reported them at registration. */
  @Column({ type: 'varchar', length: 200, nullable: true })
  transports: string | null;

  @Column({ name: 'device_type', type: 'varchar', length: 16 })
  deviceType: 'singleDevice' | 'multiDevice';

  @Column({ name: 'backed_up', type: 'boolean' })
  backedUp: boolean;

  @Column({ type: 'varchar', length: 64 })
  name: string;

  @Column({ name: 'created_at', type: 'bigint', transformer: epochMs })
  createdAt: Date;

  @Column({ name: 'last_used_at', type: 'bigint', nullable: true, transformer: epochMs })
  lastUsedAt: Date | null;

  /** Set when a signature counter went backwards: a copy of the key exists, so it is refused from then on. */
  @Column({ name: 'cloned_at', type: 'bigint', nullable: true, transformer: epochMs })
  clonedAt: Date | null;
}
