import { Body, Controller, Delete, Get, HttpCode, HttpStatus, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '../common/openapi';
import { ApiProblems, BODY_PROBLEMS, PROTECTED_ROUTE_PROBLEMS } from '../common/api-problems.decorator';
import { AllowedBeforeMfa, CurrentUser, RequiresRecentAuth } from '../common/auth.decorators';
import { ClientIp } from '../common/client-ip';
import { RateLimit } from '../rate-limit/problem-throttler.guard';
import type { AuthenticatedUser } from '../users/authenticated-user';
import { MfaProofDto, MfaStatusDto, proofOf, RecoveryCodesDto, TotpCodeDto, TotpEnrolmentDto } from './dto/mfa.dto';
import { MfaFactorsService } from './mfa-factors.service';

@ApiTags('mfa')
@ApiBearerAuth()
@Controller('api/auth/mfa')
export class MfaController {
  constructor(private readonly factors: MfaFactorsService) {}

  @Get()
  @AllowedBeforeMfa()
  @ApiOperation({
    summary: "The caller's second factors and the policy",
    description: 'Under MFA_POLICY=required a user without an active authenticator can only enrol one.',
  })
  @ApiOkResponse({ type: MfaStatusDto })
  @ApiProblems(...PROTECTED_ROUTE_PROBLEMS)
  status(@CurrentUser() caller: AuthenticatedUser): Promise<MfaStatusDto> {
    return this.factors.status(caller);
  }

  @Post('totp')
  @HttpCode(HttpStatus.OK)
  @AllowedBeforeMfa()
  @RequiresRecentAuth()
  @ApiOperation({
    summary: 'Start enrolling an authenticator app (TOTP)',
    description:
      'Needs a recent authentication (REAUTH_MAX_AGE). Returns an `otpauth://` URI and its secret for a pending ' +
      'factor, replacing any pending one; confirm it with `POST /api/auth/mfa/totp/verify/`.',
  })
  @ApiOkResponse({ type: TotpEnrolmentDto })
  @ApiProblems(...BODY_PROBLEMS, 'reauthentication_required', 'mfa_already_enrolled', ...PROTECTED_ROUTE_PROBLEMS)
  enrol(@CurrentUser() caller: AuthenticatedUser): Promise<TotpEnrolmentDto> {
    return this.factors.enrol(caller);
  }

  @Post('totp/verify')
  @HttpCode(HttpStatus.OK)
  @AllowedBeforeMfa()
  @RateLimit('otp-verify')
  @ApiOperation({
    summary: 'Confirm the pending authenticator with a code from it',
    description:
      'Activates the factor and returns 10 recovery codes, shown only this once. From now on, signing in with an ' +
      'SMS code asks for a second factor. Lifts the enrolment-only limit of the session (MFA_POLICY=required).',
  })
  @ApiOkResponse({ type: RecoveryCodesDto })
  @ApiProblems(...BODY_PROBLEMS, 'otp_invalid', 'mfa_not_enrolled', ...PROTECTED_ROUTE_PROBLEMS)
  activate(
    @CurrentUser() caller: AuthenticatedUser,
    @Body() body: TotpCodeDto,
    @ClientIp() ip: string,
  ): Promise<RecoveryCodesDto> {
    return this.factors.activate(caller, body.code, ip);
  }

  @Delete('totp')
  @HttpCode(HttpStatus.NO_CONTENT)
  @RequiresRecentAuth()
  @RateLimit('otp-verify')
  @ApiOperation({
    summary: 'Remove the authenticator and the recovery codes',
    description: 'Needs a recent authentication and a current code from the app or an unused recovery code.',
  })
  @ApiNoContentResponse({ description: 'Removed; signing in needs the SMS code only' })
  @ApiProblems(
    ...BODY_PROBLEMS,
    'reauthentication_required',
    'otp_invalid',
    'mfa_not_enrolled',
    ...PROTECTED_ROUTE_PROBLEMS,
  )
  remove(@CurrentUser() caller: AuthenticatedUser, @Body() body: MfaProofDto, @ClientIp() ip: string): Promise<void> {
    return this.factors.remove(caller, proofOf(body), ip);
  }

  @Post('recovery-codes')
  @HttpCode(HttpStatus.OK)
  @RequiresRecentAuth()
  @ApiOperation({
    summary: 'Replace the recovery codes with a new set',
    description: 'Needs a recent authentication and an active authenticator. The old codes stop working at once.',
  })
  @ApiOkResponse({ type: RecoveryCodesDto })
  @ApiProblems(...BODY_PROBLEMS, 'reauthentication_required', 'mfa_not_enrolled', ...PROTECTED_ROUTE_PROBLEMS)
  regenerateRecoveryCodes(@CurrentUser() caller: AuthenticatedUser): Promise<RecoveryCodesDto> {
    return this.factors.regenerateRecoveryCodes(caller);
  }
}
