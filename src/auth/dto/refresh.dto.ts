import { ApiProperty, ApiPropertyOptional } from '../../common/openapi';
import { IsIn, IsNotEmpty, IsOptional, IsString, MaxLength } from 'class-validator';
import { EXAMPLE_REFRESH_TOKEN, LOGOUT_SCOPES, type LogoutScope } from '../../sessions/dto/tokens.dto';

export class RefreshDto {
  @ApiProperty({
    example: EXAMPLE_REFRESH_TOKEN,
    minLength: 1,
    maxLength: 4096,
    description: 'The newest refresh token of the session',
  })
  @IsString()
  @IsNotEmpty()
  @MaxLength(4096)
  readonly refresh: string;
}

export class LogoutDto extends RefreshDto {
  @ApiPropertyOptional({
    enum: LOGOUT_SCOPES,
    default: 'local',
    description: '`local`: this session; `others`: every other session of the user; `global`: all of them',
  })
  @IsOptional()
  @IsIn(LOGOUT_SCOPES)
  readonly scope?: LogoutScope;
}
