import { IsString, validateSync } from 'class-validator';
import type * as SwaggerPackage from '@nestjs/swagger';
import {
  ApiOkResponse,
  ApiOperation,
  ApiProperty,
  ApiPropertyOptional,
  ApiTags,
  IntersectionType,
  getSchemaPath,
  swagger,
} from './openapi';

const mockLoads: string[] = [];
jest.mock('@nestjs/swagger', () => {
  mockLoads.push('@nestjs/swagger');
  return jest.requireActual<typeof SwaggerPackage>('@nestjs/swagger');
});

class NameDto {
  @ApiProperty({ example: 'Ada' })
  @IsString()
  name: string;
}

class NoteDto {
  @ApiPropertyOptional({ description: 'A note' })
  @IsString()
  note?: string;
}

class NamedNoteDto extends IntersectionType(NameDto, NoteDto) {
  @ApiProperty()
  @IsString()
  extra: string;
}

@ApiTags('people')
class PeopleController {
  @ApiOperation({ summary: 'One person' })
  @ApiOkResponse({ type: NameDto })
  one(): NameDto {
    return { name: 'Ada' };
  }
}

describe('The OpenAPI decorators', () => {
  it('do not load @nestjs/swagger when classes are declared', () => {
    expect(mockLoads).toEqual([]);
  });

  it('keep an IntersectionType’s validation without loading Swagger', () => {
    const dto = Object.assign(new NamedNoteDto(), { name: 42, note: 'n', extra: 'x' });
    expect(validateSync(dto).map((error) => error.property)).toEqual(['name']);
    expect(mockLoads).toEqual([]);
  });

  it('apply, when swagger() loads it, the metadata Swagger’s own decorators would have written', () => {
    const { ApiProperty: property, ApiOperation: operation, ApiTags: tags, DECORATORS } = swagger();
    expect(mockLoads).toEqual(['@nestjs/swagger']);

    class Expected {
      @property({ example: 'Ada' })
      name: string;
    }
    const fieldOf = (type: object, key: string): unknown =>
      Reflect.getMetadata(DECORATORS.API_MODEL_PROPERTIES, (type as { prototype: object }).prototype, key);
    expect(fieldOf(NameDto, 'name')).toEqual(fieldOf(Expected, 'name'));

    const expectedMethod = { one: () => undefined };
    operation({ summary: 'One person' })(
      expectedMethod,
      'one',
      Object.getOwnPropertyDescriptor(expectedMethod, 'one')!,
    );
    expect(Reflect.getMetadata(DECORATORS.API_OPERATION, PeopleController.prototype.one)).toEqual(
      Reflect.getMetadata(DECORATORS.API_OPERATION, expectedMethod.one),
    );
    expect(Reflect.getMetadata(DECORATORS.API_RESPONSE, PeopleController.prototype.one)).toMatchObject({
      200: { type: NameDto },
    });

    @tags('people')
    class ExpectedController {}
    expect(Reflect.getMetadata(DECORATORS.API_TAGS, PeopleController)).toEqual(
      Reflect.getMetadata(DECORATORS.API_TAGS, ExpectedController),
    );
  });

  it('give an IntersectionType every parent’s OpenAPI properties, then its own', () => {
    const { DECORATORS } = swagger();
    expect(Reflect.getMetadata(DECORATORS.API_MODEL_PROPERTIES_ARRAY, NamedNoteDto.prototype)).toEqual([
      ':name',
      ':note',
      ':extra',
    ]);
    expect(Reflect.getMetadata(DECORATORS.API_MODEL_PROPERTIES, NamedNoteDto.prototype, 'note')).toMatchObject({
      description: 'A note',
      required: false,
    });
  });

  it('apply at once once Swagger is loaded', () => {
    const { DECORATORS } = swagger();
    class Late {
      @ApiProperty({ example: 1 })
      count: number;
    }
    expect(Reflect.getMetadata(DECORATORS.API_MODEL_PROPERTIES, Late.prototype, 'count')).toMatchObject({
      example: 1,
      type: Number,
    });
  });

  it('name a model’s schema path as Swagger does', () => {
    expect(getSchemaPath(NameDto)).toBe(swagger().getSchemaPath(NameDto));
    expect(getSchemaPath('ProblemDto')).toBe('#/components/schemas/ProblemDto');
  });
});
