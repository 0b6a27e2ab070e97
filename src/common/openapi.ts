import type { Type } from '@nestjs/common';
import {
  inheritPropertyInitializers,
  inheritTransformationMetadata,
  inheritValidationMetadata,
  type IntersectionType as MappedIntersectionType,
} from '@nestjs/mapped-types';

/**
 * The OpenAPI decorators, with @nestjs/swagger's signatures, applied when the document is first
 * built instead of when each class loads. Loading @nestjs/swagger costs about a fifth of boot and
 * 14 MiB of heap (docs/benchmarks.md, "Loading less at boot"), which an instance with the API docs off
 * (production's default) would pay for a document it never builds. Each decorator records its
 * call; `swagger()` loads the package and replays them in the order the classes declared them,
 * which is the order Swagger's own decorators would have run in. Import them from here, never
 * from @nestjs/swagger (the lint refuses it).
 */
type Swagger = typeof import('@nestjs/swagger');
type Decoration = (swagger: Swagger) => void;

let loaded: Swagger | undefined;
const pending: Decoration[] = [];

/** @nestjs/swagger, with every decoration declared so far applied; the first call loads it. */
export function swagger(): Swagger {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  loaded ??= require('@nestjs/swagger') as Swagger;
  for (const decoration of pending.splice(0)) decoration(loaded);
  return loaded;
}

function decorate(decoration: Decoration): void {
  if (loaded) decoration(loaded);
  else pending.push(decoration);
}

/**
 * Swagger's method decorators put their metadata on `descriptor.value` and return the descriptor
 * unchanged, so replaying them later on the same descriptor object is what running them now does.
 */
function deferred<Name extends keyof Swagger>(name: Name): Swagger[Name] {
  const factory = (...args: unknown[]) =>
    function (target: object, key?: string | symbol, descriptor?: PropertyDescriptor): void {
      decorate((loadedSwagger) => {
        const decorator = (loadedSwagger[name] as (...a: unknown[]) => (...d: unknown[]) => unknown)(...args);
        decorator(target, key, descriptor);
      });
    };
  return factory as unknown as Swagger[Name];
}

export const ApiBearerAuth = deferred('ApiBearerAuth');
export const ApiBody = deferred('ApiBody');
export const ApiConsumes = deferred('ApiConsumes');
export const ApiCreatedResponse = deferred('ApiCreatedResponse');
export const ApiExcludeController = deferred('ApiExcludeController');
export const ApiExtraModels = deferred('ApiExtraModels');
export const ApiHeader = deferred('ApiHeader');
export const ApiNoContentResponse = deferred('ApiNoContentResponse');
export const ApiOkResponse = deferred('ApiOkResponse');
export const ApiOperation = deferred('ApiOperation');
export const ApiParam = deferred('ApiParam');
export const ApiProduces = deferred('ApiProduces');
export const ApiProperty = deferred('ApiProperty');
export const ApiPropertyOptional = deferred('ApiPropertyOptional');
export const ApiResponse = deferred('ApiResponse');
export const ApiTags = deferred('ApiTags');

/** As @nestjs/swagger's, for a model named by its class (no `@ApiSchema` renames one here). */
export function getSchemaPath(model: string | Type): string {
  return `#/components/schemas/${typeof model === 'string' ? model : model.name}`;
}

/**
 * @nestjs/swagger's IntersectionType: a class with the fields, validation, transformation and
 * initial values of every class given, whose OpenAPI properties are copied when the decorations
 * are replayed (after the classes' own, which were declared first).
 */
export function IntersectionType<T extends Type[]>(...classRefs: T): ReturnType<typeof MappedIntersectionType<T>> {
  class IntersectionClassType {
    constructor() {
      for (const classRef of classRefs) inheritPropertyInitializers(this, classRef);
    }
  }
  for (const classRef of classRefs) {
    inheritValidationMetadata(classRef, IntersectionClassType);
    inheritTransformationMetadata(classRef, IntersectionClassType);
  }
  Object.defineProperty(IntersectionClassType, 'name', {
    value: `Intersection${classRefs.map((classRef) => classRef.name).join('')}`,
  });
  decorate(({ ApiProperty: property, DECORATORS }) => {
    for (const classRef of classRefs) {
      const prototype = classRef.prototype as object;
      const keys = (Reflect.getMetadata(DECORATORS.API_MODEL_PROPERTIES_ARRAY, prototype) ?? []) as unknown[];
      for (const key of keys) {
        if (typeof key !== 'string' || !key.startsWith(':')) continue;
        const field = key.slice(1);
        const metadata = Reflect.getMetadata(DECORATORS.API_MODEL_PROPERTIES, prototype, field) as object;
        property(metadata)(IntersectionClassType.prototype, field);
      }
    }
  });
  return IntersectionClassType as never;
}
