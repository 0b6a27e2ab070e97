import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ERROR_CODES } from './error-codes';

export class FieldErrorDto {
  @ApiProperty({ example: 'phone_number' })
  readonly field: string;

  @ApiProperty({ example: 'phone_number must be a string' })
  readonly message: string;
}

/** RFC 9457 problem details, as every error response is shaped. */
export class ProblemDto {
  @ApiProperty({ example: '/problems/otp_invalid' })
  readonly type: string;

  @ApiProperty({ example: 'Invalid code' })
  readonly title: string;

  @ApiProperty({ example: 400 })
  readonly status: number;

  @ApiProperty({ example: 'The code is wrong or has already been used.' })
  readonly detail: string;

  @ApiProperty({ enum: Object.keys(ERROR_CODES), example: 'otp_invalid' })
  readonly code: string;

  @ApiProperty({ example: '/api/auth/verify-otp/' })
  readonly instance: string;

  @ApiPropertyOptional({ type: [FieldErrorDto], description: 'Present on validation_failed and invalid_phone_number' })
  readonly errors?: FieldErrorDto[];
}
