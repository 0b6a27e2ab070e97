import { DataSource } from 'typeorm';
import { ENTITY_FILES, typeOrmOptions } from '../src/database/typeorm.options';
import { parseDatabaseUrl } from '../src/config/database.config';
import { createTestDatabase, dialects, type TestDatabase } from './helpers/databases';

/**
 * The entities are the only description of a row at runtime and the migrations build the real
 * schema; after every migration has run, TypeORM's schema builder must find nothing to change.
 * Entities are found the way the TypeORM CLI finds them, so a new entity file is checked too.
 */
describe.each(dialects())('schema drift on %s', (dialect) => {
  let database: TestDatabase;
  let dataSource: DataSource;

  beforeAll(async () => {
    database = await createTestDatabase(dialect);
    const options = typeOrmOptions({
      target: parseDatabaseUrl(database.url),
      migrationsRun: true,
      poolSize: 2,
      connectRetries: 0,
      connectTimeoutMs: 5_000,
      statementTimeoutMs: 10_000,
    });
    dataSource = await new DataSource({ ...options, entities: ENTITY_FILES }).initialize();
    await dataSource.runMigrations({ transaction: 'each' });
  });

  afterAll(async () => {
    await dataSource?.destroy();
    await database?.drop();
  });

  it('finds every entity of the app', () => {
    expect(dataSource.entityMetadatas.map((entity) => entity.tableName).sort()).toEqual([
      'otp_codes',
      'sessions',
      'users',
    ]);
  });

  it('has nothing to change after the migrations: entities and migrations describe the same schema', async () => {
    const pending = await dataSource.driver.createSchemaBuilder().log();

    expect(pending.upQueries.map((query) => query.query)).toEqual([]);
  });
});
