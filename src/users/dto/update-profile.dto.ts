import { ApiPropertyOptional } from '../../common/openapi';
import { Transform } from 'class-transformer';
import { IsString, Matches, MaxLength, ValidateIf } from 'class-validator';

/** Absent fields are left alone; `null` is validated (and refused) like any other non-string. */
const isPresent = (_dto: object, value: unknown) => value !== undefined;

/** No control characters (PostgreSQL refuses NUL outright) and no lone surrogates. */
const PRINTABLE = /^[^\p{Cc}\p{Cs}]*$/u;

const trim = ({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value);

export class UpdateProfileDto {
  @ApiPropertyOptional({ example: 'Ada', maxLength: 150, description: 'Trimmed; empty clears it' })
  @ValidateIf(isPresent)
  @Transform(trim)
  @IsString()
  @MaxLength(150)
  @Matches(PRINTABLE, { message: '$property must not contain control characters' })
  readonly first_name?: string;

  @ApiPropertyOptional({ example: 'Lovelace', maxLength: 150, description: 'Trimmed; empty clears it' })
  @ValidateIf(isPresent)
  @Transform(trim)
  @IsString()
  @MaxLength(150)
  @Matches(PRINTABLE, { message: '$property must not contain control characters' })
  readonly last_name?: string;
}
