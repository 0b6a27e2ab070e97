import { ApiProperty } from '@nestjs/swagger';

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
