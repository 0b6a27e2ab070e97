import { ApiPropertyOptional } from '../../common/openapi';
import { IsInt, IsOptional, Max, Min } from 'class-validator';
import { CURSOR_MESSAGE, CursorParam, IntegerParam } from './admin-query';

export const MAX_PAGE = 200;
export const DEFAULT_PAGE = 50;

/** A page of a list: `cursor` from the page before, `limit` rows. */
export class PageQueryDto {
  @ApiPropertyOptional({ type: String, description: '`next_cursor` of the previous page', example: 'MTI' })
  @IsOptional()
  @CursorParam()
  @IsInt({ message: CURSOR_MESSAGE })
  readonly cursor?: number;

  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: MAX_PAGE, default: DEFAULT_PAGE, example: DEFAULT_PAGE })
  @IsOptional()
  @IntegerParam()
  @IsInt()
  @Min(1)
  @Max(MAX_PAGE)
  readonly limit?: number;
}
