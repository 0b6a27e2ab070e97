import { ValidationPipe, type ArgumentMetadata, type ValidationError } from '@nestjs/common';
import { ProblemException, type FieldError } from './errors/problem.exception';

function flatten(errors: ValidationError[], parent = ''): FieldError[] {
  return errors.flatMap((error) => {
    const field = parent ? `${parent}.${error.property}` : error.property;
    const own = Object.values(error.constraints ?? {}).map((message) => ({ field, message }));
    return [...own, ...flatten(error.children ?? [], field)];
  });
}

/**
 * The single global pipe: unknown fields are refused, not silently dropped. class-validator's
 * whitelist looks field names up on a plain object, so `constructor`, `toString` and the other
 * names every object inherits would pass as known; they are refused here first.
 */
class StrictValidationPipe extends ValidationPipe {
  override transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    if (metadata.type === 'body' && value !== null && typeof value === 'object') {
      const inherited = Object.keys(value).filter((key) => key in Object.prototype);
      if (inherited.length) {
        const errors = inherited.map((field) => ({ field, message: `property ${field} should not exist` }));
        throw new ProblemException('validation_failed', { detail: errors.map((e) => e.message).join('; '), errors });
      }
    }
    return super.transform(value, metadata) as Promise<unknown>;
  }
}

export function createValidationPipe(): ValidationPipe {
  return new StrictValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    forbidUnknownValues: true,
    stopAtFirstError: true,
    transform: true,
    validationError: { target: false, value: false },
    exceptionFactory: (errors) => {
      const fieldErrors = flatten(errors);
      return new ProblemException('validation_failed', {
        detail: fieldErrors.length
          ? fieldErrors.map((e) => e.message).join('; ')
          : 'The request body must be a JSON object.',
        errors: fieldErrors,
      });
    },
  });
}
