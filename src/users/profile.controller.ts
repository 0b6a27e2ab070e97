import { Controller, Get } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiProblems } from '../common/api-problems.decorator';
import { CurrentUser, type AuthenticatedUser } from '../common/auth.decorators';
import { ProfileResponseDto } from './dto/user-response.dto';
import { UsersService } from './users.service';

@ApiTags('profile')
@ApiBearerAuth()
@Controller('api/auth/profile')
export class ProfileController {
  constructor(private readonly users: UsersService) {}

  @Get()
  @ApiOperation({ summary: 'The signed-in user' })
  @ApiOkResponse({ type: ProfileResponseDto })
  @ApiProblems('unauthorized', 'rate_limited')
  get(@CurrentUser() { userId }: AuthenticatedUser): Promise<ProfileResponseDto> {
    return this.users.getProfile(userId);
  }
}
