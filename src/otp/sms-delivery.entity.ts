import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';
import type { Channel } from '../config/delivery.config';
import { epochMs } from '../database/epoch-ms.transformer';
import type { SmsLocale } from '../sms/code-message';
import type { ReceiptStatus } from '../sms/receipt-statuses';
import { OtpCode } from './otp-code.entity';

/** What happened to a message: handed over (`sent`, or `failed` at once), then what receipts report. */
export type DeliveryStatus = ReceiptStatus;

/**
 * One attempt to get a code to its phone on one channel: what the provider called the message,
 * and what its delivery receipts said. Deleted with its code.
 */
@Entity('sms_deliveries')
@Index('UQ_sms_deliveries_message_id', ['messageId'], { unique: true })
@Index('IDX_sms_deliveries_otp_code_id', ['otpCodeId'])
export class SmsDelivery {
  @PrimaryGeneratedColumn()
  id: number;

  @Column({ name: 'otp_code_id', type: 'integer' })
  otpCodeId: number;

  @ManyToOne(() => OtpCode, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'otp_code_id', foreignKeyConstraintName: 'FK_sms_deliveries_otp_code_id' })
  otpCode?: OtpCode;

  @Column({ type: 'varchar', length: 16 })
  channel: Channel;

  /** Where the code goes if a receipt says this attempt did not arrive; null when nowhere. */
  @Column({ name: 'next_channel', type: 'varchar', length: 16, nullable: true })
  nextChannel: Channel | null;

  @Column({ type: 'varchar', length: 8 })
  locale: SmsLocale;

  /** The provider's id for the message (a Twilio SID, the webhook's message_id); null when it gave none. */
  @Column({ name: 'message_id', type: 'varchar', length: 64, nullable: true })
  messageId: string | null;

  @Column({ type: 'varchar', length: 16 })
  status: DeliveryStatus;

  @Column({ name: 'error_code', type: 'varchar', length: 32, nullable: true })
  errorCode: string | null;

  /** The code, sealed (AES-256-GCM), while a receipt may still ask for the fallback; null after. */
  @Column({ name: 'sealed_code', type: 'varchar', length: 200, nullable: true })
  sealedCode: string | null;

  @Column({ name: 'created_at', type: 'bigint', transformer: epochMs })
  createdAt: Date;

  @Column({ name: 'updated_at', type: 'bigint', transformer: epochMs })
  updatedAt: Date;

  /** When the code went on to the next channel; set once, which makes the fallback happen once. */
  @Column({ name: 'fallback_at', type: 'bigint', nullable: true, transformer: epochMs })
  fallbackAt: Date | null;
}
