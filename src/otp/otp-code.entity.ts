import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';
import { epochMs } from '../database/epoch-ms.transformer';

/**
 * One issued code. Only the HMAC of the code is kept, and only the newest row per phone can be
 * redeemed; older rows stay for auditing until purged.
 */
@Entity('otp_codes')
@Index('IDX_otp_codes_phone_number_id', ['phoneNumber', 'id'])
export class OtpCode {
  @PrimaryGeneratedColumn('increment')
  id: number;

  @Column({ name: 'phone_number', type: 'varchar', length: 20 })
  phoneNumber: string;

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
