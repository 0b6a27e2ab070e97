import { applyDecorators } from '@nestjs/common';
import { ApiExtraModels, ApiResponse, getSchemaPath } from './openapi';
import { ERROR_CODES, type ErrorCode } from './errors/error-codes';
import { ProblemDto } from './errors/problem.dto';

/** What any route with a JSON body can answer about the body itself. */
export const BODY_PROBLEMS = ['validation_failed', 'payload_too_large', 'unsupported_media_type'] as const;

/** What any route can answer, and a protected one besides (no token, an enrolment-only session). */
export const ANY_ROUTE_PROBLEMS = ['rate_limited', 'service_unavailable', 'internal_error'] as const;
/** What a route that texts a number the caller has not proven may answer about its captcha. */
export const CAPTCHA_PROBLEMS = ['captcha_required', 'captcha_invalid', 'captcha_unavailable'] as const;
export const PROTECTED_ROUTE_PROBLEMS = ['unauthorized', 'mfa_enrolment_required', ...ANY_ROUTE_PROBLEMS] as const;

/** The request headers routes that text or sign in read, for @ApiHeader(). */
export const ACCEPT_LANGUAGE_HEADER = {
  name: 'accept-language',
  required: false,
  description: 'Language of the SMS when the body has no `locale`',
  example: 'es-MX,es;q=0.9,en;q=0.5',
};
export const USER_AGENT_HEADER = {
  name: 'user-agent',
  required: false,
  description: 'Stored with a new session and shown in the session list',
  example: 'MyApp/2.1 (iPhone; iOS 18.0)',
};

/** Codes always answered with `Retry-After` (every 429); sms_delivery_failed carries it when the provider gave one. */
const ALWAYS_RETRY_AFTER: ReadonlySet<ErrorCode> = new Set([
  'rate_limited',
  'otp_resend_too_soon',
  'otp_attempts_exceeded',
]);
const SOMETIMES_RETRY_AFTER: ReadonlySet<ErrorCode> = new Set(['sms_delivery_failed']);

const FIELD_ERRORS: Partial<Record<ErrorCode, { field: string; message: string }[]>> = {
  validation_failed: [{ field: 'phone_number', message: 'phone_number must be a string' }],
  invalid_phone_number: [{ field: 'phone_number', message: '+1234567890 is not a valid phone number.' }],
  phone_not_allowed: [{ field: 'phone_number', message: 'Codes are not sent to numbers in FR.' }],
};

/**
 * Documents the problem responses a route can give, grouped by status: the `code`s each status
 * carries (narrowed in the schema, so a generated client and the e2e conformance check know them),
 * an example of each and `Retry-After` where it is sent. `instance` in the examples is filled in
 * with the route's path by setUpApiDocs.
 */
export function ApiProblems(...codes: ErrorCode[]): MethodDecorator & ClassDecorator {
  const byStatus = new Map<number, ErrorCode[]>();
  for (const code of codes) {
    const status = ERROR_CODES[code].status;
    byStatus.set(status, [...(byStatus.get(status) ?? []), code]);
  }
  return applyDecorators(
    ApiExtraModels(ProblemDto),
    ...[...byStatus].map(([status, group]) =>
      ApiResponse({
        status,
        description: group.map((code) => `\`${code}\`: ${ERROR_CODES[code].detail}`).join('<br>'),
        headers: retryAfterHeader(group),
        content: {
          'application/problem+json': {
            schema: {
              allOf: [
                { $ref: getSchemaPath(ProblemDto) },
                {
                  type: 'object',
                  properties: {
                    status: { type: 'integer', enum: [status] },
                    code: { type: 'string', enum: group },
                  },
                },
              ],
            },
            examples: Object.fromEntries(
              group.map((code) => [
                code,
                {
                  summary: ERROR_CODES[code].title,
                  value: {
                    type: `/problems/${code}`,
                    title: ERROR_CODES[code].title,
                    status,
                    detail: ERROR_CODES[code].detail,
                    code,
                    ...(FIELD_ERRORS[code] && { errors: FIELD_ERRORS[code] }),
                  },
                },
              ]),
            ),
          },
        },
      }),
    ),
  );
}

function retryAfterHeader(group: ErrorCode[]) {
  const always = group.filter((code) => ALWAYS_RETRY_AFTER.has(code));
  const sometimes = group.filter((code) => SOMETIMES_RETRY_AFTER.has(code));
  if (!always.length && !sometimes.length) return undefined;
  const sentWith = [...always, ...sometimes].map((code) => `\`${code}\``).join(', ');
  return {
    'Retry-After': {
      description: `Whole seconds to wait before trying again; sent with ${sentWith}`,
      required: always.length === group.length,
      schema: { type: 'integer', minimum: 1 },
    },
  };
}
