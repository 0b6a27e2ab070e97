import { Body, Controller, Delete, Get, HttpCode, HttpStatus, Param, Patch, Post } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiTags,
} from '@nestjs/swagger';
import type { PublicKeyCredentialCreationOptionsJSON } from '@simplewebauthn/server';
import { ApiProblems } from '../common/api-problems.decorator';
import { CurrentUser, RequiresRecentAuth } from '../common/auth.decorators';
import type { AuthenticatedUser } from '../users/authenticated-user';
import { PasskeyDto, PasskeyListDto, PasskeyNameDto, RegisterPasskeyDto, CreationOptionsDto } from './dto/passkey.dto';
import { PasskeysService } from './passkeys.service';

const COMMON = [
  'unauthorized',
  'mfa_enrolment_required',
  'rate_limited',
  'service_unavailable',
  'internal_error',
] as const;
const BODY = ['validation_failed', 'payload_too_large', 'unsupported_media_type'] as const;
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
  @ApiProblems(...BODY, 'reauthentication_required', ...COMMON)
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
  @ApiProblems(...BODY, 'reauthentication_required', 'passkey_invalid', 'passkey_already_registered', ...COMMON)
  register(@CurrentUser() caller: AuthenticatedUser, @Body() body: RegisterPasskeyDto): Promise<PasskeyDto> {
    return this.passkeys.register(caller, body.name, body.response);
  }

  @Get()
  @ApiOperation({ summary: "The caller's passkeys" })
  @ApiOkResponse({ type: PasskeyListDto })
  @ApiProblems(...COMMON)
  list(@CurrentUser() caller: AuthenticatedUser): Promise<PasskeyListDto> {
    return this.passkeys.list(caller);
  }

  @Patch(':id')
  @ApiOperation({ summary: 'Rename one of the caller’s passkeys' })
  @ApiParam(PASSKEY_ID)
  @ApiOkResponse({ type: PasskeyDto })
  @ApiProblems(...BODY, 'not_found', ...COMMON)
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
  @ApiProblems(...BODY, 'reauthentication_required', 'not_found', ...COMMON)
  remove(@CurrentUser() caller: AuthenticatedUser, @Param('id') id: string): Promise<void> {
    return this.passkeys.remove(caller, id);
  }
}
