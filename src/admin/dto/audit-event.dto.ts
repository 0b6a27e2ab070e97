import { ApiProperty } from '../../common/openapi';
import { AUDIT_EVENT_TYPES, type AuditEvent, type AuditEventType } from '../../audit/audit-event.entity';

const nullableString = (example: string | null, description?: string) =>
  ({ type: String, nullable: true, example, ...(description && { description }) }) as const;

/** One audit event; never a raw phone number, code or token. */
export class AuditEventDto {
  @ApiProperty({ type: 'integer', example: 42 })
  readonly id: number;

  @ApiProperty({ example: '2026-07-08T12:34:56.789Z', format: 'date-time' })
  readonly created_at: string;

  @ApiProperty({ enum: AUDIT_EVENT_TYPES, example: 'sign_in' })
  readonly type: AuditEventType;

  @ApiProperty(nullableString(null, 'The name of the admin token, for admin actions'))
  readonly actor: string | null;

  @ApiProperty({ type: 'integer', nullable: true, example: 1 })
  readonly user_id: number | null;

  @ApiProperty(
    nullableString('5d41402abc4b2a76b9719d911017c592ae8d7f5c3e1a2b3c4d5e6f708192a3b4', 'Keyed hash of the number'),
  )
  readonly phone_hash: string | null;

  @ApiProperty(nullableString('+1201*****23'))
  readonly phone_masked: string | null;

  @ApiProperty(nullableString('US', 'ISO country of the number'))
  readonly country: string | null;

  @ApiProperty(nullableString('sign_in', "The code's purpose, for code events"))
  readonly purpose: string | null;

  @ApiProperty(nullableString('sms'))
  readonly channel: string | null;

  @ApiProperty(
    nullableString(
      'otp',
      "Why: a refusal's problem code, the sign-in method, a logout's scope, an admin action's kind",
    ),
  )
  readonly reason: string | null;

  @ApiProperty({ ...nullableString('6f1c2b9e-8d4a-4c3e-9b1a-2f5e7d9c0a11'), format: 'uuid' })
  readonly session_id: string | null;

  @ApiProperty(nullableString('203.0.113.7'))
  readonly ip: string | null;

  @ApiProperty({
    type: Boolean,
    nullable: true,
    example: false,
    description: 'For sign_in: whether it created the user',
  })
  readonly is_new_user: boolean | null;

  @ApiProperty({
    type: 'integer',
    nullable: true,
    example: null,
    description: 'For code_verified: milliseconds from the send to the verification',
  })
  readonly elapsed_ms: number | null;

  @ApiProperty(nullableString(null, "An admin's reason text"))
  readonly detail: string | null;
}

export class AuditEventListDto {
  @ApiProperty({ type: [AuditEventDto], description: 'Newest first' })
  readonly events: AuditEventDto[];

  @ApiProperty({
    type: String,
    nullable: true,
    example: 'NDI',
    description: 'Pass as `cursor` for the next page; null on the last page',
  })
  readonly next_cursor: string | null;
}

export function toAuditEventDto(event: AuditEvent): AuditEventDto {
  return {
    id: event.id,
    created_at: event.createdAt.toISOString(),
    type: event.type,
    actor: event.actor,
    user_id: event.userId,
    phone_hash: event.phoneHash,
    phone_masked: event.phoneMasked,
    country: event.country,
    purpose: event.purpose,
    channel: event.channel,
    reason: event.reason,
    session_id: event.sessionId,
    ip: event.ip,
    is_new_user: event.isNewUser,
    elapsed_ms: event.elapsedMs,
    detail: event.detail,
  };
}
