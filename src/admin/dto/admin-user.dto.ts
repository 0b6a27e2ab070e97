import { ApiProperty } from '../../common/openapi';
import { maskPhone } from '../../common/phone-number.service';
import type { AccessScope } from '../../users/authenticated-user';
import type { User } from '../../users/user.entity';
import type { Session } from '../../sessions/session.entity';
import { AuditEventDto } from './audit-event.dto';

const PHONE_HASH = {
  example: '5d41402abc4b2a76b9719d911017c592ae8d7f5c3e1a2b3c4d5e6f708192a3b4',
  pattern: '^[0-9a-f]{64}$',
  description: 'Keyed hash of the number, as audit events hold it: the `phone` filter of the audit events finds it',
};

/** A user as admins see them: never the full phone number (DESIGN §7). */
export class AdminUserDto {
  @ApiProperty({ type: 'integer', example: 1 })
  readonly id: number;

  @ApiProperty({ example: '+1201*****23', description: 'The number, masked' })
  readonly phone_masked: string;

  @ApiProperty(PHONE_HASH)
  readonly phone_hash: string;

  @ApiProperty({ example: '', maxLength: 150 })
  readonly first_name: string;

  @ApiProperty({ example: '', maxLength: 150 })
  readonly last_name: string;

  @ApiProperty({ example: true })
  readonly is_phone_verified: boolean;

  @ApiProperty({ example: true, description: 'False once an admin deactivated the account' })
  readonly is_active: boolean;

  @ApiProperty({
    type: String,
    format: 'date-time',
    nullable: true,
    example: null,
    description: 'Until then the user can neither sign in nor use a token; null when not banned',
  })
  readonly banned_until: string | null;

  @ApiProperty({
    type: String,
    nullable: true,
    maxLength: 200,
    example: null,
    description: "The admin's reason for the deactivation or ban; null while the account is usable",
  })
  readonly disabled_reason: string | null;

  @ApiProperty({ example: '2026-07-08T12:34:56.000Z', format: 'date-time' })
  readonly date_joined: string;

  @ApiProperty({ type: String, format: 'date-time', nullable: true, example: '2026-07-08T12:34:56.000Z' })
  readonly last_login: string | null;
}

export class AdminSessionDto {
  @ApiProperty({ example: '6f1c2b9e-8d4a-4c3e-9b1a-2f5e7d9c0a11', format: 'uuid' })
  readonly id: string;

  @ApiProperty({ example: '2026-07-08T12:34:56.000Z', format: 'date-time' })
  readonly created_at: string;

  @ApiProperty({ example: '2026-07-08T13:00:00.000Z', format: 'date-time', description: 'Last sign-in or refresh' })
  readonly last_used_at: string;

  @ApiProperty({ example: '2026-08-07T12:34:56.000Z', format: 'date-time' })
  readonly expires_at: string;

  @ApiProperty({ type: String, format: 'date-time', nullable: true, example: null })
  readonly revoked_at: string | null;

  @ApiProperty({
    type: String,
    nullable: true,
    example: null,
    description: 'logout, revoked (by an admin or the user), refresh_token_reused, signed_out_elsewhere, …',
  })
  readonly revoked_reason: string | null;

  @ApiProperty({ type: String, nullable: true, maxLength: 512, example: 'MyApp/2.1 (iPhone; iOS 18.0)' })
  readonly user_agent: string | null;

  @ApiProperty({ type: String, nullable: true, example: '203.0.113.7' })
  readonly ip: string | null;

  @ApiProperty({
    enum: ['full', 'mfa_enrolment'],
    example: 'full',
    description: '`mfa_enrolment`: a session that may only enrol a second factor (MFA_POLICY=required)',
  })
  readonly scope: AccessScope;

  @ApiProperty({ example: true, description: 'Not revoked and not expired (a ban or deactivation aside)' })
  readonly live: boolean;
}

export class AdminUserListDto {
  @ApiProperty({ type: [AdminUserDto], description: 'Newest first' })
  readonly users: AdminUserDto[];

  @ApiProperty({
    type: String,
    nullable: true,
    example: 'MTI',
    description: 'Pass as `cursor` for the next page; null on the last page',
  })
  readonly next_cursor: string | null;
}

export class AdminUserResponseDto {
  @ApiProperty({ type: AdminUserDto })
  readonly user: AdminUserDto;
}

export class AdminUserDetailDto {
  @ApiProperty({ type: AdminUserDto })
  readonly user: AdminUserDto;

  @ApiProperty({ type: [AdminSessionDto], description: 'Every session still stored, newest first (at most 100)' })
  readonly sessions: AdminSessionDto[];

  @ApiProperty({
    type: [AuditEventDto],
    description: "The user's newest 50 audit events: those naming the user or the user's number",
  })
  readonly events: AuditEventDto[];
}

export function toAdminUserDto(user: User, phoneHash: string): AdminUserDto {
  return {
    id: user.id,
    phone_masked: maskPhone(user.phoneNumber),
    phone_hash: phoneHash,
    first_name: user.firstName,
    last_name: user.lastName,
    is_phone_verified: user.isPhoneVerified,
    is_active: user.isActive,
    banned_until: user.bannedUntil?.toISOString() ?? null,
    disabled_reason: user.disabledReason,
    date_joined: user.dateJoined.toISOString(),
    last_login: user.lastLogin?.toISOString() ?? null,
  };
}

export function toAdminSessionDto(session: Session, now: Date): AdminSessionDto {
  return {
    id: session.id,
    created_at: session.createdAt.toISOString(),
    last_used_at: session.lastUsedAt.toISOString(),
    expires_at: session.expiresAt.toISOString(),
    revoked_at: session.revokedAt?.toISOString() ?? null,
    revoked_reason: session.revokedReason,
    user_agent: session.userAgent,
    ip: session.ip,
    scope: session.scope,
    live: session.revokedAt === null && session.expiresAt.getTime() > now.getTime(),
  };
}
