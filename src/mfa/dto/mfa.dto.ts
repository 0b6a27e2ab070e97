import { ApiProperty, ApiPropertyOptional, IntersectionType } from '../../common/openapi';
import { IsNotEmpty, IsObject, IsOptional, IsString, Matches, MaxLength } from 'class-validator';
import { ProblemException } from '../../common/errors/problem.exception';
import { FACTOR_TYPES, type FactorType, type Proof } from '../second-factors.service';
import { TOTP_CODE } from '../totp';

const RECOVERY_PATTERN = /^[0-9A-Za-z -]{10,24}$/;

/** A code from the authenticator app. */
export class TotpCodeDto {
  @ApiProperty({ example: '123456', pattern: TOTP_CODE.source, description: 'The 6 digits the app shows now' })
  @IsString()
  @Matches(TOTP_CODE, { message: 'code must be 6 digits' })
  readonly code: string;
}

/** A second-factor proof: a code from the authenticator app or a recovery code, exactly one. */
export class MfaProofDto {
  @ApiPropertyOptional({ example: '123456', pattern: TOTP_CODE.source, description: 'From the authenticator app' })
  @IsOptional()
  @IsString()
  @Matches(TOTP_CODE, { message: 'totp_code must be 6 digits' })
  readonly totp_code?: string;

  @ApiPropertyOptional({
    example: 'K7Q2M-9XH4D',
    pattern: RECOVERY_PATTERN.source,
    description: 'One of the recovery codes, with or without its dash, in any case; each works once',
  })
  @IsOptional()
  @IsString()
  @Matches(RECOVERY_PATTERN, { message: 'recovery_code must be a recovery code such as K7Q2M-9XH4D' })
  readonly recovery_code?: string;
}

export class MfaTokenDto {
  @ApiProperty({
    example: 'kD3v0m5Q2b7y9hXJm1sN8cT4pR6wZ0aE3fG5iL7uV9o',
    maxLength: 64,
    description: 'From the verify-otp answer that asked for a second factor',
  })
  @IsString()
  @IsNotEmpty()
  @MaxLength(64)
  readonly mfa_token: string;
}

export class MfaChallengeDto extends IntersectionType(MfaTokenDto, MfaProofDto) {
  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: true,
    example: { id: 'Mv3Yqa…', rawId: 'Mv3Yqa…', type: 'public-key', response: {}, clientExtensionResults: {} },
    description:
      'A passkey’s answer (`PublicKeyCredential.toJSON()`) to the options of POST /api/auth/mfa/challenge/passkey/options/',
  })
  @IsOptional()
  @IsObject()
  readonly passkey?: Record<string, unknown>;
}

/** The proof the body carries; `validation_failed` unless it is exactly one (a passkey only where the body takes one). */
export function proofOf(body: MfaProofDto | MfaChallengeDto): Proof {
  // A null passes @IsOptional() and stands for no proof at all.
  const passkey = 'passkey' in body ? body.passkey : undefined;
  const proofs: Proof[] = [
    ...(body.totp_code == null ? [] : [{ totpCode: body.totp_code }]),
    ...(body.recovery_code == null ? [] : [{ recoveryCode: body.recovery_code }]),
    ...(passkey == null ? [] : [{ passkey }]),
  ];
  if (proofs.length === 1) return proofs[0];
  const fields =
    body instanceof MfaChallengeDto ? ['totp_code', 'recovery_code', 'passkey'] : ['totp_code', 'recovery_code'];
  const message = `send exactly one of ${fields.join(', ')}`;
  throw new ProblemException('validation_failed', {
    detail: message,
    errors: fields.map((field) => ({ field, message })),
  });
}

/** verify-otp's answer, instead of tokens, for a user with a second factor. */
export class MfaRequiredDto {
  @ApiProperty({ example: 'Second factor required' })
  readonly message: string;

  @ApiProperty({ enum: [true], example: true })
  readonly mfa_required: true;

  @ApiProperty({
    example: 'kD3v0m5Q2b7y9hXJm1sN8cT4pR6wZ0aE3fG5iL7uV9o',
    description: 'Send it to POST /api/auth/mfa/challenge/ with the second factor; works once, for MFA_CHALLENGE_TTL',
  })
  readonly mfa_token: string;

  @ApiProperty({ enum: FACTOR_TYPES, isArray: true, example: ['totp', 'recovery_code'] })
  readonly factors: FactorType[];

  @ApiProperty({ type: 'integer', example: 300 })
  readonly expires_in_seconds: number;
}

export class TotpEnrolmentDto {
  @ApiProperty({ example: 'Scan the URI, then confirm with a code from the app' })
  readonly message: string;

  @ApiProperty({
    example:
      'otpauth://totp/Phone%20OTP%20Auth:%2B12015550123?issuer=Phone%20OTP%20Auth&secret=JBSWY3DPEHPK3PXP&algorithm=SHA1&digits=6&period=30',
    description: 'Show it as a QR code for the authenticator app',
  })
  readonly otpauth_uri: string;

  @ApiProperty({ example: 'JBSWY3DPEHPK3PXP', description: 'The same secret, base32, for typing it in by hand' })
  readonly secret: string;
}

export class RecoveryCodesDto {
  @ApiProperty({ example: 'Keep these recovery codes somewhere safe; they are shown only once' })
  readonly message: string;

  @ApiProperty({
    type: [String],
    example: ['K7Q2M-9XH4D', '3RZ8P-WQ61T'],
    description: 'Each signs in (or recovers the account) once instead of a code from the app; shown only now',
  })
  readonly recovery_codes: string[];
}

export class TotpFactorDto {
  @ApiProperty({ enum: ['none', 'pending', 'active'], description: 'pending: enrolled, not yet confirmed with a code' })
  readonly status: 'none' | 'pending' | 'active';

  @ApiProperty({ format: 'date-time', nullable: true, type: String, example: '2026-11-30T12:00:00.000Z' })
  readonly created_at: string | null;

  @ApiProperty({ format: 'date-time', nullable: true, type: String, example: '2026-11-30T12:01:00.000Z' })
  readonly confirmed_at: string | null;
}

export class MfaStatusDto {
  @ApiProperty({ enum: ['optional', 'required'], description: 'MFA_POLICY' })
  readonly policy: 'optional' | 'required';

  @ApiProperty({ type: TotpFactorDto, description: 'The authenticator app' })
  readonly totp: TotpFactorDto;

  @ApiProperty({ type: 'integer', example: 10, description: 'Recovery codes not used yet' })
  readonly recovery_codes_left: number;
}
