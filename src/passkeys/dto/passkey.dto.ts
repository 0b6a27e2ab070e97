import { ApiProperty, ApiPropertyOptional } from '../../common/openapi';
import { IsObject, IsString, Matches, MaxLength } from 'class-validator';
import type { Passkey } from '../passkey.entity';

/** What the browser's `PublicKeyCredential.toJSON()` gives, passed through as it is. */
const CREDENTIAL = {
  type: 'object',
  additionalProperties: true,
  example: { id: 'Mv3Yqa…', rawId: 'Mv3Yqa…', type: 'public-key', response: {}, clientExtensionResults: {} },
  description: 'The credential as `PublicKeyCredential.toJSON()` returns it (base64url fields)',
} as const;

export class PasskeyNameDto {
  @ApiProperty({ example: 'MacBook Touch ID', minLength: 1, maxLength: 64, pattern: '\\S' })
  @IsString()
  @Matches(/\S/, { message: 'name must not be blank' })
  @Matches(/^[^\p{Cc}\p{Cs}]*$/u, { message: 'name must not contain control characters' })
  @MaxLength(64)
  readonly name: string;
}

export class RegisterPasskeyDto extends PasskeyNameDto {
  @ApiProperty(CREDENTIAL)
  @IsObject()
  readonly response: Record<string, unknown>;
}

export class PasskeyCredentialDto {
  @ApiProperty(CREDENTIAL)
  @IsObject()
  readonly response: Record<string, unknown>;
}

export class PasskeyDto {
  @ApiProperty({ format: 'uuid', example: '0b7e4a52-3c1d-4f7e-9a55-2f0c1e6d8b90' })
  readonly id: string;

  @ApiProperty({ example: 'MacBook Touch ID' })
  readonly name: string;

  @ApiProperty({ format: 'date-time', example: '2026-11-30T12:00:00.000Z' })
  readonly created_at: string;

  @ApiProperty({ format: 'date-time', nullable: true, type: String, example: '2026-11-30T12:30:00.000Z' })
  readonly last_used_at: string | null;

  @ApiProperty({ description: 'Synced to the user’s other devices (a cloud keychain)', example: true })
  readonly backed_up: boolean;

  @ApiProperty({ enum: ['singleDevice', 'multiDevice'], example: 'multiDevice' })
  readonly device_type: 'singleDevice' | 'multiDevice';
}

export class PasskeyListDto {
  @ApiProperty({ type: [PasskeyDto], description: 'Newest first' })
  readonly passkeys: PasskeyDto[];
}

class RelyingPartyDto {
  @ApiProperty({ example: 'Phone OTP Auth', description: 'WEBAUTHN_RP_NAME' })
  readonly name: string;

  @ApiProperty({ example: 'localhost', description: 'WEBAUTHN_RP_ID' })
  readonly id: string;
}

class WebAuthnUserDto {
  @ApiProperty({ example: 'C2aNlwas25Qv8zjztCgp6A', description: 'Opaque user handle, base64url; stable per user' })
  readonly id: string;

  @ApiProperty({ example: '+12015550123' })
  readonly name: string;

  @ApiProperty({ example: '+12015550123' })
  readonly displayName: string;
}

class CredentialParameterDto {
  @ApiProperty({ type: 'integer', example: -7, description: 'COSE algorithm: -7 ES256, -8 EdDSA, -257 RS256' })
  readonly alg: number;

  @ApiProperty({ enum: ['public-key'] })
  readonly type: 'public-key';
}

class CredentialDescriptorDto {
  @ApiProperty({ example: 'Mv3YqaQm9zJ0', description: 'Credential id, base64url' })
  readonly id: string;

  @ApiProperty({ enum: ['public-key'] })
  readonly type: 'public-key';

  @ApiPropertyOptional({ type: [String], example: ['internal', 'hybrid'] })
  readonly transports?: string[];
}

class AuthenticatorSelectionDto {
  @ApiProperty({ enum: ['required'] })
  readonly residentKey: 'required';

  @ApiProperty({ example: true })
  readonly requireResidentKey: boolean;

  @ApiProperty({ enum: ['required'] })
  readonly userVerification: 'required';
}

class CreationExtensionsDto {
  @ApiPropertyOptional({ example: true })
  readonly credProps?: boolean;
}

/** Options for `navigator.credentials.create()`, as `PublicKeyCredential.parseCreationOptionsFromJSON()` takes them. */
export class CreationOptionsDto {
  @ApiProperty({ example: 'q8ZQ3m0y1sJ0v9kY3P1v0gH7bL2c4dE6fG8hI0jK1lM', description: 'base64url, single use' })
  readonly challenge: string;

  @ApiProperty({ type: RelyingPartyDto })
  readonly rp: RelyingPartyDto;

  @ApiProperty({ type: WebAuthnUserDto })
  readonly user: WebAuthnUserDto;

  @ApiProperty({ type: [CredentialParameterDto] })
  readonly pubKeyCredParams: CredentialParameterDto[];

  @ApiProperty({ type: 'integer', example: 300000, description: 'WEBAUTHN_CHALLENGE_TTL, in milliseconds' })
  readonly timeout: number;

  @ApiProperty({ enum: ['none'] })
  readonly attestation: 'none';

  @ApiProperty({
    type: [CredentialDescriptorDto],
    description: "The user's passkeys: an authenticator holding one makes no other",
  })
  readonly excludeCredentials: CredentialDescriptorDto[];

  @ApiProperty({ type: AuthenticatorSelectionDto })
  readonly authenticatorSelection: AuthenticatorSelectionDto;

  @ApiPropertyOptional({ type: CreationExtensionsDto })
  readonly extensions?: CreationExtensionsDto;

  @ApiPropertyOptional({ type: [String], example: [] })
  readonly hints?: string[];
}

/** Options for `navigator.credentials.get()`, as `PublicKeyCredential.parseRequestOptionsFromJSON()` takes them. */
export class RequestOptionsDto {
  @ApiProperty({ example: 'q8ZQ3m0y1sJ0v9kY3P1v0gH7bL2c4dE6fG8hI0jK1lM', description: 'base64url, single use' })
  readonly challenge: string;

  @ApiProperty({ example: 'localhost', description: 'WEBAUTHN_RP_ID' })
  readonly rpId: string;

  @ApiProperty({
    type: [CredentialDescriptorDto],
    description: 'Empty for a sign-in (the authenticator offers its passkeys); the user’s passkeys for a second factor',
  })
  readonly allowCredentials: CredentialDescriptorDto[];

  @ApiProperty({ type: 'integer', example: 300000, description: 'WEBAUTHN_CHALLENGE_TTL, in milliseconds' })
  readonly timeout: number;

  @ApiProperty({ enum: ['required'] })
  readonly userVerification: 'required';
}

export function toPasskeyDto(passkey: Passkey): PasskeyDto {
  return {
    id: passkey.id,
    name: passkey.name,
    created_at: passkey.createdAt.toISOString(),
    last_used_at: passkey.lastUsedAt?.toISOString() ?? null,
    backed_up: passkey.backedUp,
    device_type: passkey.deviceType,
  };
}
