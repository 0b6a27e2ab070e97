import { Controller, Delete, Get, HttpCode, HttpStatus, Param } from '@nestjs/common';
import { ApiBearerAuth, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '../common/openapi';
import { ApiProblems } from '../common/api-problems.decorator';
import { CurrentUser } from '../common/auth.decorators';
import type { AuthenticatedUser } from '../users/authenticated-user';
import { SessionListDto } from './dto/session.dto';
import { SessionsService } from './sessions.service';

@ApiTags('sessions')
@ApiBearerAuth()
@Controller('api/auth/sessions')
export class SessionsController {
  constructor(private readonly sessions: SessionsService) {}

  @Get()
  @ApiOperation({ summary: "The caller's active sessions, newest use first" })
  @ApiOkResponse({ type: SessionListDto, description: 'Live sessions; `current` marks the one making this request' })
  @ApiProblems('unauthorized', 'mfa_enrolment_required', 'rate_limited', 'service_unavailable', 'internal_error')
  list(@CurrentUser() caller: AuthenticatedUser): Promise<SessionListDto> {
    return this.sessions.list(caller);
  }

  @Delete(':id')
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiOperation({ summary: "Revoke one of the caller's sessions; its tokens stop working at once" })
  @ApiParam({
    name: 'id',
    description: 'A session `id` from the session list',
    schema: { type: 'string', format: 'uuid', example: '6f1c2b9e-8d4a-4c3e-9b1a-2f5e7d9c0a11' },
  })
  @ApiNoContentResponse({ description: 'Revoked' })
  @ApiProblems(
    'validation_failed',
    'unauthorized',
    'mfa_enrolment_required',
    'not_found',
    'rate_limited',
    'payload_too_large',
    'unsupported_media_type',
    'service_unavailable',
    'internal_error',
  )
  revoke(@CurrentUser() caller: AuthenticatedUser, @Param('id') id: string): Promise<void> {
    return this.sessions.revokeOwn(caller, id);
  }
}
