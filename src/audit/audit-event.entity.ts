import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';
import { epochMs } from '../database/epoch-ms.transformer';

/** What an audit event records. */
export const AUDIT_EVENT_TYPES = [
  'code_sent',
  'code_send_refused',
  'code_verified',
  'code_failed',
  'code_burned',
  'sign_in',
  'refresh_reused',
  'logout',
  'session_revoked',
  'admin_user_updated',
  'admin_user_deleted',
  'admin_sessions_revoked',
] as const;
export type AuditEventType = (typeof AUDIT_EVENT_TYPES)[number];

/**
 * One thing that happened, written in the transaction of the action it records. It never holds a
 * raw phone number, code or token: the number is kept as a keyed hash (to find every event of one
 * number) and a masked form (to read). No foreign key: events outlive the user they name. Three
 * indexes only, since each one costs every hot route's insert; the analytics read by time.
 */
@Entity('audit_events')
@Index('IDX_audit_events_created_at', ['createdAt'])
@Index('IDX_audit_events_user_id', ['userId', 'id'])
@Index('IDX_audit_events_phone_hash', ['phoneHash', 'id'])
export class AuditEvent {
  @PrimaryGeneratedColumn('increment')
  id: number;

  @Column({ name: 'created_at', type: 'bigint', transformer: epochMs })
  createdAt: Date;

  @Column({ type: 'varchar', length: 32 })
  type: AuditEventType;

  /** The admin token's name for an admin action; null for what users and the service did. */
  @Column({ type: 'varchar', length: 64, nullable: true })
  actor: string | null;

  @Column({ name: 'user_id', type: 'integer', nullable: true })
  userId: number | null;

  /** Hex HMAC-SHA256 of the E.164 number under a key derived from OTP_SECRET. */
  @Column({ name: 'phone_hash', type: 'varchar', length: 64, nullable: true })
  phoneHash: string | null;

  /** `+1201*****23`. */
  @Column({ name: 'phone_masked', type: 'varchar', length: 20, nullable: true })
  phoneMasked: string | null;

  /** ISO country of the number, for the analytics. */
  @Column({ type: 'varchar', length: 2, nullable: true })
  country: string | null;

  /** The code's purpose, for code events. */
  @Column({ type: 'varchar', length: 20, nullable: true })
  purpose: string | null;

  @Column({ type: 'varchar', length: 16, nullable: true })
  channel: string | null;

  /** Why: a refusal's or failure's problem code, a logout's scope, a revocation's reason. */
  @Column({ type: 'varchar', length: 48, nullable: true })
  reason: string | null;

  @Column({ name: 'session_id', type: 'varchar', length: 36, nullable: true })
  sessionId: string | null;

  @Column({ type: 'varchar', length: 45, nullable: true })
  ip: string | null;

  /** For sign_in: whether the sign-in created the user. */
  @Column({ name: 'is_new_user', type: 'boolean', nullable: true })
  isNewUser: boolean | null;

  /** For code_verified: milliseconds from the code's send to its verification. */
  @Column({ name: 'elapsed_ms', type: 'integer', nullable: true })
  elapsedMs: number | null;

  /** Free text an admin gave (a ban's reason), or what an admin action changed. */
  @Column({ type: 'varchar', length: 500, nullable: true })
  detail: string | null;
}
