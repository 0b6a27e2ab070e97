import { ApiProperty } from '@nestjs/swagger';

export class SessionDto {
  @ApiProperty({ example: '6f1c2b9e-8d4a-4c3e-9b1a-2f5e7d9c0a11' })
  readonly id: string;

  @ApiProperty({ example: true, description: 'The session of the token making this request' })
  readonly current: boolean;

  @ApiProperty({ example: '2026-07-08T12:34:56.000Z' })
  readonly created_at: string;

  @ApiProperty({ example: '2026-07-08T13:00:00.000Z', description: 'Last sign-in or refresh' })
  readonly last_used_at: string;

  @ApiProperty({ example: '2026-08-07T12:34:56.000Z', description: 'No refresh after this' })
  readonly expires_at: string;

  @ApiProperty({ example: 'MyApp/2.1 (iPhone; iOS 18.0)', nullable: true, type: String })
  readonly user_agent: string | null;

  @ApiProperty({ example: '203.0.113.7', nullable: true, type: String })
  readonly ip: string | null;
}

export class SessionListDto {
  @ApiProperty({ type: [SessionDto] })
  readonly sessions: SessionDto[];
}
