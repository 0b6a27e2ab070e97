import { ApiProperty } from '../../common/openapi';
import { IsInt, Matches, Max, Min } from 'class-validator';
import { UUID } from '../../common/uuid';
import { IntegerParam } from './admin-query';

/** The largest id an `integer` column holds on both databases. */
export const MAX_ID = 2_147_483_647;

export class UserIdParamsDto {
  @ApiProperty({ type: 'integer', minimum: 1, maximum: MAX_ID, example: 1, description: 'The user `id`' })
  @IntegerParam()
  @IsInt({ message: '$property must be a user id (a positive integer)' })
  @Min(1)
  @Max(MAX_ID)
  readonly id: number;
}

export class UserSessionParamsDto extends UserIdParamsDto {
  @ApiProperty({
    format: 'uuid',
    example: '6f1c2b9e-8d4a-4c3e-9b1a-2f5e7d9c0a11',
    description: 'A session `id` from the user page',
  })
  @Matches(UUID, { message: '$property must be a session id (a UUID)' })
  readonly session_id: string;
}
