import { ApiProperty, ApiPropertyOptional } from '../openapi';
import { ERROR_CODES } from './error-codes';

export class FieldErrorDto {
  @ApiProperty({ example: 'phone_number', description: 'The request body field, or the unknown field refused' })
  readonly field: string;

  @ApiProperty({ example: 'phone_number must be a string' })
  readonly message: string;
}

/** RFC 9457 problem details, as every error response is shaped. */
export class ProblemDto {
  @ApiProperty({ example: '/problems/otp_invalid', pattern: '^/problems/[a-z_]+$', description: '`/problems/{code}`' })
  readonly type: string;

  @ApiProperty({ example: 'Invalid code', description: 'Short and fixed for each `code`' })
  readonly title: string;

  @ApiProperty({ type: 'integer', minimum: 400, maximum: 599, example: 400, description: 'The HTTP status' })
  readonly status: number;

  @ApiProperty({ example: 'The code is wrong or has already been used.', description: 'For people; may vary' })
  readonly detail: string;

  @ApiProperty({
    enum: Object.keys(ERROR_CODES),
    enumName: 'ErrorCode',
    example: 'otp_invalid',
    description: 'Stable machine-readable error code: switch on this',
  })
  readonly code: string;

  @ApiProperty({ example: '/api/auth/verify-otp/', description: 'The request path' })
  readonly instance: string;

  @ApiPropertyOptional({
    type: [FieldErrorDto],
    description:
      'One entry per refused field; present on validation_failed, invalid_phone_number and phone_not_allowed',
  })
  readonly errors?: FieldErrorDto[];
}
