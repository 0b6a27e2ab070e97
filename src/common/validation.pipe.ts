import { ValidationPipe, type ArgumentMetadata, type ValidationError } from '@nestjs/common';
import { ProblemException, type FieldError } from './errors/problem.exception';

/** When a value is of the wrong type, that is what to say, not that it is too long. */
const TYPE_CONSTRAINTS = ['isString', 'isInt', 'isNumber', 'isBoolean', 'isObject', 'isArray'];

/** One message per field: its type error if it has one, else its first failed constraint. */
function flatten(errors: ValidationError[], parent = ''): FieldError[] {
  return errors.flatMap((error) => {
    const field = parent ? `${parent}.${error.property}` : error.property;
    const constraints = error.constraints ?? {};
    const failed = TYPE_CONSTRAINTS.find((name) => name in constraints) ?? Object.keys(constraints)[0];
    const own = failed === undefined ? [] : [{ field, message: constraints[failed] }];
    return [...own, ...flatten(error.children ?? [], field)];
  });
}

/** A body with thousands of unknown fields must not get thousands of errors echoed back. */
const MAX_ERRORS = 10;

function validationFailed(errors: FieldError[]): ProblemException {
  const shown = errors.slice(0, MAX_ERRORS);
  const more = errors.length - shown.length;
  const detail = shown.map((e) => e.message).join('; ') + (more ? `; and ${more} more` : '');
  return new ProblemException('validation_failed', { detail, errors: shown });
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
        throw validationFailed(inherited.map((field) => ({ field, message: `property ${field} should not exist` })));
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
    transform: true,
    validationError: { target: false, value: false },
    exceptionFactory: (errors) => {
      const fieldErrors = flatten(errors);
      return fieldErrors.length
        ? validationFailed(fieldErrors)
        : new ProblemException('validation_failed', { detail: 'The request body must be a JSON object.', errors: [] });
    },
  });
}
