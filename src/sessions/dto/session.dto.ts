import { ApiProperty } from '../../common/openapi';
import type { Session } from '../session.entity';

export class SessionDto {
  @ApiProperty({ example: '6f1c2b9e-8d4a-4c3e-9b1a-2f5e7d9c0a11', format: 'uuid' })
  readonly id: string;

  @ApiProperty({ example: true, description: 'The session of the token making this request' })
  readonly current: boolean;

  @ApiProperty({ example: '2026-07-08T12:34:56.000Z', format: 'date-time' })
  readonly created_at: string;

  @ApiProperty({ example: '2026-07-08T13:00:00.000Z', format: 'date-time', description: 'Last sign-in or refresh' })
  readonly last_used_at: string;

  @ApiProperty({ example: '2026-08-07T12:34:56.000Z', format: 'date-time', description: 'No refresh after this' })
  readonly expires_at: string;

  @ApiProperty({
    example: 'MyApp/2.1 (iPhone; iOS 18.0)',
    nullable: true,
    type: String,
    maxLength: 512,
    description: 'User-Agent of the sign-in, truncated to 512 characters',
  })
  readonly user_agent: string | null;

  @ApiProperty({ example: '203.0.113.7', nullable: true, type: String, description: 'Client IP of the sign-in' })
  readonly ip: string | null;
}

export class SessionListDto {
  @ApiProperty({ type: [SessionDto] })
  readonly sessions: SessionDto[];
}

/** A session as the list shows it; `current` marks the caller's own. */
export function toSessionDto(session: Session, currentId: string): SessionDto {
  return {
    id: session.id,
    current: session.id === currentId,
    created_at: session.createdAt.toISOString(),
    last_used_at: session.lastUsedAt.toISOString(),
    expires_at: session.expiresAt.toISOString(),
    user_agent: session.userAgent,
    ip: session.ip,
  };
}
