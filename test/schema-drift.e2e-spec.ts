import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { migrations } from '../migrations';
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
      'audit_events',
      'mfa_challenges',
      'otp_codes',
      'passkeys',
      'recovery_codes',
      'sessions',
      'sms_deliveries',
      'totp_factors',
      'users',
      'webauthn_challenges',
    ]);
  });

  it('has nothing to change after the migrations: entities and migrations describe the same schema', async () => {
    const pending = await dataSource.driver.createSchemaBuilder().log();

    expect(pending.upQueries.map((query) => query.query)).toEqual([]);
  });
});

function sqliteFile(): TestDatabase {
  const directory = mkdtempSync(join(tmpdir(), 'otp-auth-upgrade-'));
  return {
    url: `sqlite:${join(directory, 'db.sqlite')}`,
    drop: () => Promise.resolve(rmSync(directory, { recursive: true })),
  };
}

describe.each(dialects())('upgrading a database of the previous release on %s', (dialect) => {
  let database: TestDatabase;

  beforeAll(async () => {
    // In a file on SQLite: the upgrade reopens the database, which an in-memory one would not survive.
    database = dialect === 'sqlite' ? sqliteFile() : await createTestDatabase(dialect);
  });

  afterAll(async () => {
    await database?.drop();
  });

  /** A data source on the test database that knows only `count` of the migrations, or all of them. */
  const connect = (count = migrations.length) => {
    const options = typeOrmOptions({
      target: parseDatabaseUrl(database.url),
      migrationsRun: false,
      poolSize: 2,
      connectRetries: 0,
      connectTimeoutMs: 5_000,
      statementTimeoutMs: 10_000,
    });
    return new DataSource({ ...options, migrations: migrations.slice(0, count) }).initialize();
  };

  it('keeps every code as a sign-in code, every session authenticated when created and fully scoped; and reverts', async () => {
    const before = await connect(2);
    await before.runMigrations({ transaction: 'each' });
    await before.query(
      `INSERT INTO users (phone_number, username, first_name, last_name, is_phone_verified, is_active, date_joined)
       VALUES ('+12015550901', '+12015550901', '', '', TRUE, TRUE, 1000)`,
    );
    await before.query(
      `INSERT INTO otp_codes (phone_number, code_hash, attempts, created_at, expires_at)
       VALUES ('+12015550901', '${'f'.repeat(64)}', 1, 2000, 3000)`,
    );
    await before.query(
      `INSERT INTO sessions (id, user_id, refresh_jti, rotated_at, created_at, last_used_at, expires_at)
       SELECT '00000000-0000-4000-8000-000000000001', id, 'jti', 4000, 4000, 5000, 6000 FROM users`,
    );
    await before.destroy();

    const after = await connect();
    try {
      await after.runMigrations({ transaction: 'each' });

      type Row = Record<string, unknown>;
      const [code] = await after.query<Row[]>('SELECT purpose, user_id, attempts FROM otp_codes');
      expect({ ...code, attempts: Number(code.attempts) }).toEqual({ purpose: 'sign_in', user_id: null, attempts: 1 });
      const [session] = await after.query<Row[]>('SELECT authenticated_at, scope FROM sessions');
      expect({ ...session, authenticated_at: Number(session.authenticated_at) }).toEqual({
        authenticated_at: 4000,
        scope: 'full',
      });

      // Each check on a runner of its own, released: the pool has two connections.
      const hasTable = async (table: string) => {
        const runner = after.createQueryRunner();
        try {
          return await runner.hasTable(table);
        } finally {
          await runner.release();
        }
      };
      await after.undoLastMigration({ transaction: 'each' });
      expect(await hasTable('audit_events')).toBe(false);
      expect(Object.keys((await after.query<Row[]>('SELECT * FROM users'))[0])).not.toContain('banned_until');
      await after.undoLastMigration({ transaction: 'each' });
      expect(await hasTable('sms_deliveries')).toBe(false);
      await after.undoLastMigration({ transaction: 'each' });
      expect(await hasTable('passkeys')).toBe(false);
      await after.undoLastMigration({ transaction: 'each' });
      expect(Object.keys((await after.query<Row[]>('SELECT * FROM sessions'))[0])).not.toContain('scope');
      await after.undoLastMigration({ transaction: 'each' });
      const columns = await after.query<Row[]>('SELECT * FROM otp_codes');
      expect(Object.keys(columns[0])).not.toContain('purpose');
    } finally {
      await after.destroy();
    }
  });
});
