import { HttpStatus } from '@nestjs/common';

/**
 * Every stable error code the API answers with (DESIGN §5), its HTTP status, a short title and
 * the default detail. Clients switch on `code`; titles and details are for people.
 */
export const ERROR_CODES = {
  validation_failed: {
    status: HttpStatus.BAD_REQUEST,
    title: 'Validation failed',
    detail: 'The request body is not valid.',
  },
  invalid_phone_number: {
    status: HttpStatus.BAD_REQUEST,
    title: 'Invalid phone number',
    detail: 'The phone number is not valid.',
  },
  phone_not_allowed: {
    status: HttpStatus.BAD_REQUEST,
    title: 'Phone number not allowed',
    detail: 'Codes cannot be sent to this phone number.',
  },
  otp_invalid: {
    status: HttpStatus.BAD_REQUEST,
    title: 'Invalid code',
    detail: 'The code is wrong or has already been used.',
  },
  otp_expired: {
    status: HttpStatus.BAD_REQUEST,
    title: 'Code expired',
    detail: 'The code has expired. Request a new one.',
  },
  otp_attempts_exceeded: {
    status: HttpStatus.TOO_MANY_REQUESTS,
    title: 'Too many attempts',
    detail: 'This code took too many wrong guesses and can no longer be used. Request a new one.',
  },
  otp_resend_too_soon: {
    status: HttpStatus.TOO_MANY_REQUESTS,
    title: 'Resend too soon',
    detail: 'A code was sent to this number moments ago. Wait before asking for another.',
  },
  rate_limited: {
    status: HttpStatus.TOO_MANY_REQUESTS,
    title: 'Too many requests',
    detail: 'Too many requests. Try again later.',
  },
  unauthorized: {
    status: HttpStatus.UNAUTHORIZED,
    title: 'Unauthorized',
    detail: 'A valid access token is required.',
  },
  refresh_token_reused: {
    status: HttpStatus.UNAUTHORIZED,
    title: 'Refresh token reused',
    detail: 'This refresh token was already used; the session has been revoked.',
  },
  reauthentication_required: {
    status: HttpStatus.UNAUTHORIZED,
    title: 'Re-authentication required',
    detail:
      'This action needs a sign-in or re-authentication within REAUTH_MAX_AGE. Verify a code from ' +
      'POST /api/auth/reauthenticate/ and try again.',
  },
  same_phone_number: {
    status: HttpStatus.BAD_REQUEST,
    title: 'Same phone number',
    detail: 'The new phone number is the one the account already has.',
  },
  phone_number_in_use: {
    status: HttpStatus.CONFLICT,
    title: 'Phone number in use',
    detail: 'Another account has this phone number.',
  },
  mfa_token_invalid: {
    status: HttpStatus.UNAUTHORIZED,
    title: 'Invalid MFA token',
    detail: 'The mfa_token is wrong, expired, already used or took too many wrong codes. Sign in again.',
  },
  mfa_enrolment_required: {
    status: HttpStatus.FORBIDDEN,
    title: 'Second factor required',
    detail:
      'MFA_POLICY requires a second factor: until one is enrolled (POST /api/auth/mfa/totp/), this session can only enrol one.',
  },
  mfa_already_enrolled: {
    status: HttpStatus.CONFLICT,
    title: 'Authenticator already enrolled',
    detail: 'The account already has an active authenticator. Remove it before enrolling another.',
  },
  mfa_not_enrolled: {
    status: HttpStatus.CONFLICT,
    title: 'No authenticator',
    detail: 'The account has no authenticator in that state. Enrol one with POST /api/auth/mfa/totp/.',
  },
  passkey_invalid: {
    status: HttpStatus.BAD_REQUEST,
    title: 'Passkey not accepted',
    detail: 'The new passkey could not be verified. Start the registration again.',
  },
  passkey_rejected: {
    status: HttpStatus.UNAUTHORIZED,
    title: 'Passkey rejected',
    detail: 'The passkey did not sign in: it is unknown, or the answer could not be verified. Try again.',
  },
  passkey_already_registered: {
    status: HttpStatus.CONFLICT,
    title: 'Passkey already registered',
    detail: 'This passkey is registered already.',
  },
  channel_not_enabled: {
    status: HttpStatus.BAD_REQUEST,
    title: 'Channel not enabled',
    detail: 'Codes are not sent on this channel to this number. Ask for another channel, or leave it out.',
  },
  captcha_required: {
    status: HttpStatus.BAD_REQUEST,
    title: 'Captcha required',
    detail: 'Solve the captcha and send its token as captcha_token.',
  },
  captcha_invalid: {
    status: HttpStatus.BAD_REQUEST,
    title: 'Captcha not accepted',
    detail: 'The captcha token is invalid, expired or already used. Solve the captcha again.',
  },
  captcha_unavailable: {
    status: HttpStatus.SERVICE_UNAVAILABLE,
    title: 'Captcha check unavailable',
    detail: 'The captcha could not be checked, so no code was sent. Try again in a moment.',
  },
  account_disabled: {
    status: HttpStatus.FORBIDDEN,
    title: 'Account disabled',
    detail: 'This account has been deactivated or banned and cannot sign in.',
  },
  not_found: {
    status: HttpStatus.NOT_FOUND,
    title: 'Not found',
    detail: 'No such resource.',
  },
  method_not_allowed: {
    status: HttpStatus.METHOD_NOT_ALLOWED,
    title: 'Method not allowed',
    detail: 'This method is not allowed on this resource.',
  },
  payload_too_large: {
    status: HttpStatus.PAYLOAD_TOO_LARGE,
    title: 'Payload too large',
    detail: 'The request body is larger than the server accepts.',
  },
  unsupported_media_type: {
    status: HttpStatus.UNSUPPORTED_MEDIA_TYPE,
    title: 'Unsupported media type',
    detail: 'Send the request body as application/json.',
  },
  bad_request: {
    status: HttpStatus.BAD_REQUEST,
    title: 'Bad request',
    detail: 'The request could not be understood.',
  },
  internal_error: {
    status: HttpStatus.INTERNAL_SERVER_ERROR,
    title: 'Internal server error',
    detail: 'Something went wrong on our side.',
  },
  sms_delivery_failed: {
    status: HttpStatus.SERVICE_UNAVAILABLE,
    title: 'SMS delivery failed',
    detail: 'The code could not be sent. Try again in a moment.',
  },
  service_unavailable: {
    status: HttpStatus.SERVICE_UNAVAILABLE,
    title: 'Service unavailable',
    detail: 'The service is temporarily unavailable. Try again in a moment.',
  },
} as const satisfies Record<string, { status: HttpStatus; title: string; detail: string }>;

export type ErrorCode = keyof typeof ERROR_CODES;
