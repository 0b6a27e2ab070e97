import { ApiPropertyOptional } from '../../common/openapi';
import { Transform } from 'class-transformer';
import { IsBoolean, IsDate, IsString, Matches, MaxLength, MinLength, ValidateIf } from 'class-validator';
import { TIMESTAMP_MESSAGE, parseTimestamp } from './admin-query';

/** No control characters (PostgreSQL refuses NUL outright) and no lone surrogates. */
const PRINTABLE = /^[^\p{Cc}\p{Cs}]*$/u;

const isPresent = (_dto: object, value: unknown) => value !== undefined;

/** What an admin changes about a user; absent fields are left alone. */
export class UpdateUserDto {
  @ApiPropertyOptional({
    example: false,
    description: '`false` deactivates the account (needs a `reason`); `true` reactivates it',
  })
  @ValidateIf(isPresent)
  @IsBoolean()
  readonly is_active?: boolean;

  @ApiPropertyOptional({
    type: String,
    format: 'date-time',
    nullable: true,
    example: '2026-08-01T00:00:00Z',
    description:
      'Bans the user until then (a future time; needs a `reason`): no sign-in and no token works meanwhile, ' +
      'from the next request on. `null` lifts the ban.',
  })
  @ValidateIf((_dto, value) => value !== undefined && value !== null)
  @Transform(({ value }: { value: unknown }) => (typeof value === 'string' ? (parseTimestamp(value) ?? value) : value))
  @IsDate({ message: TIMESTAMP_MESSAGE })
  readonly banned_until?: Date | null;

  @ApiPropertyOptional({
    example: 'Chargeback fraud, ticket #4411',
    maxLength: 200,
    description: 'Why; required to deactivate or ban. Shown as `disabled_reason` and kept in the audit event.',
  })
  @ValidateIf(isPresent)
  @Transform(({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value))
  @IsString()
  @MinLength(1)
  @MaxLength(200)
  @Matches(PRINTABLE, { message: '$property must not contain control characters' })
  readonly reason?: string;
}
