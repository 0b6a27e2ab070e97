import { applyDecorators } from '@nestjs/common';
import { ApiExtraModels, ApiResponse, getSchemaPath } from '@nestjs/swagger';
import { ERROR_CODES, type ErrorCode } from './errors/error-codes';
import { ProblemDto } from './errors/problem.dto';

/** Documents the problem responses a route can give, grouped by status, with their codes. */
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
        content: {
          'application/problem+json': {
            schema: { $ref: getSchemaPath(ProblemDto) },
            examples: Object.fromEntries(
              group.map((code) => [
                code,
                {
                  value: {
                    type: `/problems/${code}`,
                    title: ERROR_CODES[code].title,
                    status,
                    detail: ERROR_CODES[code].detail,
                    code,
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
