import { ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsOptional, IsString, MaxLength } from 'class-validator';

const trim = ({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value);

export class UpdateProfileDto {
  @ApiPropertyOptional({ example: 'Ada', maxLength: 150, description: 'Trimmed; empty clears it' })
  @IsOptional()
  @Transform(trim)
  @IsString()
  @MaxLength(150)
  readonly first_name?: string;

  @ApiPropertyOptional({ example: 'Lovelace', maxLength: 150, description: 'Trimmed; empty clears it' })
  @IsOptional()
  @Transform(trim)
  @IsString()
  @MaxLength(150)
  readonly last_name?: string;
}
