import { Body, Controller, Delete, Get, HttpCode, HttpStatus, Param, Patch, Query } from '@nestjs/common';
import { ApiNoContentResponse, ApiOkResponse, ApiOperation } from '../common/openapi';
import { ANY_ROUTE_PROBLEMS, ApiProblems, BODY_PROBLEMS } from '../common/api-problems.decorator';
import { AdminUserChanges } from './admin-user-changes.service';
import { AdminUsersService } from './admin-users.service';
import type { Admin } from './admin-token.guard';
import { AdminApi, CurrentAdmin } from './admin.decorators';
import { UserIdParamsDto, UserSessionParamsDto } from './dto/admin-params.dto';
import { AdminUserDetailDto, AdminUserListDto, AdminUserResponseDto } from './dto/admin-user.dto';
import { ListUsersQueryDto } from './dto/list-users-query.dto';
import { UpdateUserDto } from './dto/update-user.dto';

@AdminApi()
@Controller('api/admin/users')
export class AdminUsersController {
  constructor(
    private readonly users: AdminUsersService,
    private readonly changes: AdminUserChanges,
  ) {}

  @Get()
  @ApiOperation({ summary: 'Users, newest first, filtered and a page at a time (cursor)' })
  @ApiOkResponse({ type: AdminUserListDto })
  @ApiProblems('validation_failed', 'unauthorized', ...ANY_ROUTE_PROBLEMS)
  list(@Query() query: ListUsersQueryDto): Promise<AdminUserListDto> {
    return this.users.list(query);
  }

  @Get(':id')
  @ApiOperation({ summary: 'A user, their sessions and their newest audit events' })
  @ApiOkResponse({ type: AdminUserDetailDto })
  @ApiProblems('validation_failed', 'unauthorized', 'not_found', ...ANY_ROUTE_PROBLEMS)
  get(@Param() { id }: UserIdParamsDto): Promise<AdminUserDetailDto> {
    return this.users.get(id);
  }

  @Patch(':id')
  @ApiOperation({
    summary: 'Deactivate or reactivate a user, ban them until a time or lift the ban',
    description:
      'A deactivated or banned user can neither sign in (`account_disabled`) nor use a token (`unauthorized`), ' +
      'from their next request on; their sessions are kept, so reactivating or unbanning lets them back in.',
  })
  @ApiOkResponse({ type: AdminUserResponseDto })
  @ApiProblems(...BODY_PROBLEMS, 'unauthorized', 'not_found', ...ANY_ROUTE_PROBLEMS)
  update(
    @CurrentAdmin() admin: Admin,
    @Param() { id }: UserIdParamsDto,
    @Body() changes: UpdateUserDto,
  ): Promise<AdminUserResponseDto> {
    return this.changes.update(admin, id, changes);
  }

  @Delete(':id')
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiOperation({ summary: 'Erase a user with their sessions, codes, factors and passkeys (audit events stay)' })
  @ApiNoContentResponse({ description: 'Erased' })
  @ApiProblems(...BODY_PROBLEMS, 'unauthorized', 'not_found', ...ANY_ROUTE_PROBLEMS)
  delete(@CurrentAdmin() admin: Admin, @Param() { id }: UserIdParamsDto): Promise<void> {
    return this.changes.delete(admin, id);
  }

  @Delete(':id/sessions')
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiOperation({ summary: 'Revoke every live session of a user; their tokens stop working at once' })
  @ApiNoContentResponse({ description: 'Revoked (also when there was none)' })
  @ApiProblems(...BODY_PROBLEMS, 'unauthorized', 'not_found', ...ANY_ROUTE_PROBLEMS)
  revokeAll(@CurrentAdmin() admin: Admin, @Param() { id }: UserIdParamsDto): Promise<void> {
    return this.changes.revokeSessions(admin, id);
  }

  @Delete(':id/sessions/:session_id')
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiOperation({ summary: 'Revoke one live session of a user' })
  @ApiNoContentResponse({ description: 'Revoked' })
  @ApiProblems(...BODY_PROBLEMS, 'unauthorized', 'not_found', ...ANY_ROUTE_PROBLEMS)
  revokeOne(@CurrentAdmin() admin: Admin, @Param() params: UserSessionParamsDto): Promise<void> {
    return this.changes.revokeSessions(admin, params.id, params.session_id);
  }
}
