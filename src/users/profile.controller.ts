import { Body, Controller, Get, Patch } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '../common/openapi';
import { ApiProblems } from '../common/api-problems.decorator';
import { CurrentUser } from '../common/auth.decorators';
import type { AuthenticatedUser } from './authenticated-user';
import { UpdateProfileDto } from './dto/update-profile.dto';
import { ProfileResponseDto } from './dto/user-response.dto';
import { UsersService } from './users.service';

@ApiTags('profile')
@ApiBearerAuth()
@Controller('api/auth/profile')
export class ProfileController {
  constructor(private readonly users: UsersService) {}

  @Get()
  @ApiOperation({ summary: 'The signed-in user' })
  @ApiOkResponse({ type: ProfileResponseDto, description: 'The user the access token speaks for' })
  @ApiProblems('unauthorized', 'mfa_enrolment_required', 'rate_limited', 'service_unavailable', 'internal_error')
  get(@CurrentUser() { user }: AuthenticatedUser): ProfileResponseDto {
    return this.users.getProfile(user);
  }

  @Patch()
  @ApiOperation({ summary: "Change the signed-in user's first and last name" })
  @ApiOkResponse({ type: ProfileResponseDto, description: 'The user after the change' })
  @ApiProblems(
    'validation_failed',
    'unauthorized',
    'mfa_enrolment_required',
    'rate_limited',
    'payload_too_large',
    'unsupported_media_type',
    'service_unavailable',
    'internal_error',
  )
  update(@CurrentUser() { user }: AuthenticatedUser, @Body() body: UpdateProfileDto): Promise<ProfileResponseDto> {
    return this.users.updateProfile(user.id, body);
  }
}
