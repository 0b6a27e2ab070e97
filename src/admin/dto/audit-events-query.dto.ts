import { ApiPropertyOptional, IntersectionType } from '../../common/openapi';
import { Transform } from 'class-transformer';
import { ArrayMaxSize, IsDate, IsIn, IsInt, IsOptional, Matches, Max, Min } from 'class-validator';
import { AUDIT_EVENT_TYPES, type AuditEventType } from '../../audit/audit-event.entity';
import { IntegerParam, PhoneParam, TIMESTAMP_MESSAGE, TimestampParam } from './admin-query';
import { MAX_ID } from './admin-params.dto';
import { PageQueryDto } from './page-query.dto';

/** Which events: the list's and the export's filters. */
export class AuditEventFiltersDto {
  @ApiPropertyOptional({
    type: String,
    example: 'code_sent,code_verified',
    description: `Comma-separated event types: ${AUDIT_EVENT_TYPES.join(', ')}`,
  })
  @IsOptional()
  @Transform(({ value }: { value: unknown }) => (typeof value === 'string' ? value.split(',') : value))
  @ArrayMaxSize(AUDIT_EVENT_TYPES.length)
  @IsIn(AUDIT_EVENT_TYPES, { each: true, message: `$property must list types among ${AUDIT_EVENT_TYPES.join(', ')}` })
  readonly type?: AuditEventType[];

  @ApiPropertyOptional({ type: 'integer', minimum: 1, example: 1 })
  @IsOptional()
  @IntegerParam()
  @IsInt()
  @Min(1)
  @Max(MAX_ID)
  readonly user_id?: number;

  @ApiPropertyOptional({
    example: '+12015550123',
    pattern: '^\\+[1-9][0-9]{1,14}$',
    description: 'E.164 (send the `+` as %2B); matched through its keyed hash, the number is not stored',
  })
  @IsOptional()
  @PhoneParam()
  @Matches(/^\+[1-9][0-9]{1,14}$/, { message: '$property must be an E.164 number: a + and up to 15 digits' })
  readonly phone?: string;

  @ApiPropertyOptional({
    type: String,
    format: 'date-time',
    example: '2026-07-01T00:00:00Z',
    description: 'At or after',
  })
  @IsOptional()
  @TimestampParam()
  @IsDate({ message: TIMESTAMP_MESSAGE })
  readonly after?: Date;

  @ApiPropertyOptional({ type: String, format: 'date-time', example: '2026-08-01T00:00:00Z', description: 'Before' })
  @IsOptional()
  @TimestampParam()
  @IsDate({ message: TIMESTAMP_MESSAGE })
  readonly before?: Date;
}

/** The list's filters and page. */
export class ListAuditEventsQueryDto extends IntersectionType(AuditEventFiltersDto, PageQueryDto) {}
