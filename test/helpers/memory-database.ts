import { DataSource } from 'typeorm';
import { migrations } from '../../migrations';
import { ENTITY_FILES } from '../../src/database/typeorm.options';

/**
 * For unit specs of repositories and the services on top of them: an in-memory SQLite database
 * built by the real migrations, opened before the spec's tests and closed after them. Returns an
 * accessor, since the database exists only once beforeAll ran.
 */
export function useMemoryDatabase(): () => DataSource {
  let dataSource: DataSource | undefined;
  beforeAll(async () => {
    dataSource = await new DataSource({
      type: 'better-sqlite3',
      database: ':memory:',
      entities: ENTITY_FILES,
      migrations,
      migrationsRun: true,
    }).initialize();
  });
  afterAll(() => dataSource?.destroy());
  return () => {
    if (!dataSource) throw new Error('useMemoryDatabase(): the database opens in beforeAll');
    return dataSource;
  };
}
