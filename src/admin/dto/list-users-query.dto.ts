import { ApiPropertyOptional } from '../../common/openapi';
import { IsBoolean, IsDate, IsOptional, Matches } from 'class-validator';
import { BooleanParam, PhoneParam, TIMESTAMP_MESSAGE, TimestampParam } from './admin-query';
import { PageQueryDto } from './page-query.dto';

export class ListUsersQueryDto extends PageQueryDto {
  @ApiPropertyOptional({
    example: '+1201',
    pattern: '^\\+?[0-9]{1,15}$',
    description: 'Numbers starting with this; `+` and digits only (send the `+` as %2B)',
  })
  @IsOptional()
  @PhoneParam()
  @Matches(/^\+?[0-9]{1,15}$/, { message: '$property may hold only a leading + and digits' })
  readonly phone_prefix?: string;

  @ApiPropertyOptional({
    type: String,
    format: 'date-time',
    example: '2026-07-01T00:00:00Z',
    description: 'Joined at or after',
  })
  @IsOptional()
  @TimestampParam()
  @IsDate({ message: TIMESTAMP_MESSAGE })
  readonly created_after?: Date;

  @ApiPropertyOptional({
    type: String,
    format: 'date-time',
    example: '2026-08-01T00:00:00Z',
    description: 'Joined before',
  })
  @IsOptional()
  @TimestampParam()
  @IsDate({ message: TIMESTAMP_MESSAGE })
  readonly created_before?: Date;

  @ApiPropertyOptional({
    type: String,
    enum: ['true', 'false'],
    example: 'true',
    description: '`true`: only usable users (active and not banned now); `false`: only deactivated or banned ones',
  })
  @IsOptional()
  @BooleanParam()
  @IsBoolean({ message: '$property must be true or false' })
  readonly active?: boolean;
}
