import { Body, Controller, Delete, Get, HttpCode, HttpStatus, Param, Patch, Post } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiTags,
} from '../common/openapi';
import type { PublicKeyCredentialCreationOptionsJSON } from '@simplewebauthn/server';
import { ApiProblems, BODY_PROBLEMS, PROTECTED_ROUTE_PROBLEMS } from '../common/api-problems.decorator';
import { CurrentUser, RequiresRecentAuth } from '../common/auth.decorators';
import type { AuthenticatedUser } from '../users/authenticated-user';
import { PasskeyDto, PasskeyListDto, PasskeyNameDto, RegisterPasskeyDto, CreationOptionsDto } from './dto/passkey.dto';
import { PasskeysService } from './passkeys.service';

const PASSKEY_ID = { name: 'id', format: 'uuid', example: '0b7e4a52-3c1d-4f7e-9a55-2f0c1e6d8b90' };

@ApiTags('passkeys')
@ApiBearerAuth()
@Controller('api/auth/passkeys')
export class PasskeysController {
  constructor(private readonly passkeys: PasskeysService) {}

  @Post('register/options')
  @HttpCode(HttpStatus.OK)
  @RequiresRecentAuth()
  @ApiOperation({
    summary: 'Start registering a passkey: options for navigator.credentials.create()',
    description:
      'Needs a recent authentication (REAUTH_MAX_AGE). A discoverable credential with user verification; the ' +
      "challenge works once, for WEBAUTHN_CHALLENGE_TTL, on any instance. The user's passkeys are excluded.",
  })
  @ApiOkResponse({ type: CreationOptionsDto, description: 'PublicKeyCredentialCreationOptionsJSON' })
  @ApiProblems(...BODY_PROBLEMS, 'reauthentication_required', ...PROTECTED_ROUTE_PROBLEMS)
  registrationOptions(@CurrentUser() caller: AuthenticatedUser): Promise<PublicKeyCredentialCreationOptionsJSON> {
    return this.passkeys.registrationOptions(caller);
  }

  @Post('register/verify')
  @RequiresRecentAuth()
  @ApiOperation({
    summary: 'Finish registering: the credential the browser created, and a name for it',
    description: 'Checks the challenge, origin (WEBAUTHN_ORIGINS), RP ID, user verification and attestation.',
  })
  @ApiCreatedResponse({ type: PasskeyDto })
  @ApiProblems(
    ...BODY_PROBLEMS,
    'reauthentication_required',
    'passkey_invalid',
    'passkey_already_registered',
    ...PROTECTED_ROUTE_PROBLEMS,
  )
  register(@CurrentUser() caller: AuthenticatedUser, @Body() body: RegisterPasskeyDto): Promise<PasskeyDto> {
    return this.passkeys.register(caller, body.name, body.response);
  }

  @Get()
  @ApiOperation({ summary: "The caller's passkeys" })
  @ApiOkResponse({ type: PasskeyListDto })
  @ApiProblems(...PROTECTED_ROUTE_PROBLEMS)
  list(@CurrentUser() caller: AuthenticatedUser): Promise<PasskeyListDto> {
    return this.passkeys.list(caller);
  }

  @Patch(':id')
  @ApiOperation({ summary: 'Rename one of the caller’s passkeys' })
  @ApiParam(PASSKEY_ID)
  @ApiOkResponse({ type: PasskeyDto })
  @ApiProblems(...BODY_PROBLEMS, 'not_found', ...PROTECTED_ROUTE_PROBLEMS)
  rename(
    @CurrentUser() caller: AuthenticatedUser,
    @Param('id') id: string,
    @Body() body: PasskeyNameDto,
  ): Promise<PasskeyDto> {
    return this.passkeys.rename(caller, id, body.name);
  }

  @Delete(':id')
  @HttpCode(HttpStatus.NO_CONTENT)
  @RequiresRecentAuth()
  @ApiOperation({
    summary: 'Remove one of the caller’s passkeys',
    description: 'Needs a recent authentication. The passkey no longer signs in, at once.',
  })
  @ApiParam(PASSKEY_ID)
  @ApiNoContentResponse({ description: 'Removed' })
  @ApiProblems(...BODY_PROBLEMS, 'reauthentication_required', 'not_found', ...PROTECTED_ROUTE_PROBLEMS)
  remove(@CurrentUser() caller: AuthenticatedUser, @Param('id') id: string): Promise<void> {
    return this.passkeys.remove(caller, id);
  }
}
