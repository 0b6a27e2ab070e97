import { ApiProperty } from '../../common/openapi';
import type { User } from '../user.entity';

export class UserResponseDto {
  @ApiProperty({ type: 'integer', example: 1 })
  readonly id: number;

  @ApiProperty({ example: '+12015550123', pattern: '^\\+[1-9][0-9]{1,14}$', description: 'E.164' })
  readonly phone_number: string;

  @ApiProperty({ example: '+12015550123', description: 'Same as phone_number, as in the original service' })
  readonly username: string;

  @ApiProperty({ example: '', maxLength: 150 })
  readonly first_name: string;

  @ApiProperty({ example: '', maxLength: 150 })
  readonly last_name: string;

  @ApiProperty({ example: true })
  readonly is_phone_verified: boolean;

  @ApiProperty({ example: '2026-07-08T12:34:56Z', format: 'date-time', description: 'ISO 8601, UTC, whole seconds' })
  readonly date_joined: string;
}

export class ProfileResponseDto {
  @ApiProperty({ type: UserResponseDto })
  readonly user: UserResponseDto;
}

export function toUserResponse(user: User): UserResponseDto {
  return {
    id: user.id,
    phone_number: user.phoneNumber,
    username: user.username,
    first_name: user.firstName,
    last_name: user.lastName,
    is_phone_verified: user.isPhoneVerified,
    // Second precision with a Z, as the original service (Django REST framework) wrote it.
    date_joined: user.dateJoined.toISOString().replace(/\.\d{3}Z$/, 'Z'),
  };
}
