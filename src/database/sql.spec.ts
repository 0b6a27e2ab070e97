import { Column, DataSource, Entity, PrimaryGeneratedColumn, QueryFailedError } from 'typeorm';
import { createTestDatabase, dialects, type TestDatabase } from '../../test/helpers/databases';
import { epochMs } from './epoch-ms.transformer';
import { Sql, query, type Step } from './sql';

@Entity('sql_spec_items')
class Item {
  @PrimaryGeneratedColumn('increment')
  id: number;

  @Column({ name: 'display_name', type: 'varchar', length: 50 })
  displayName: string;

  @Column({ type: 'boolean' })
  enabled: boolean;

  @Column({ name: 'seen_at', type: 'bigint', nullable: true, transformer: epochMs })
  seenAt: Date | null;
}

const SEEN = new Date('2026-11-30T12:00:00.000Z');

describe.each(dialects())('Sql on %s', (dialect) => {
  let database: TestDatabase;
  let dataSource: DataSource;
  let sql: Sql;

  beforeAll(async () => {
    database = await createTestDatabase(dialect);
    const connection =
      dialect === 'sqlite'
        ? { type: 'better-sqlite3' as const, database: ':memory:' }
        : { type: 'postgres' as const, url: database.url };
    dataSource = await new DataSource({ ...connection, entities: [Item], synchronize: true }).initialize();
    sql = new Sql(dataSource);
  });

  afterAll(async () => {
    await dataSource?.destroy();
    await database?.drop();
  });

  beforeEach(() => dataSource.getRepository(Item).clear());

  const insert = () =>
    sql.statement<{ name: string; enabled: number; seenAt: number | null }>(
      (p) => `
        INSERT INTO sql_spec_items (display_name, enabled, seen_at) VALUES (${p('name')}, ${p('enabled')}, ${p('seenAt')})
        RETURNING ${sql.rowsOf(Item).selectList()}`,
    );

  it("writes each placeholder the driver's way, one per use of a parameter, and binds by name", () => {
    const statement = sql.statement<{ a: number; b: number }>((p) => `SELECT ${p('b')} + ${p('a')} + ${p('b')}`);

    expect(statement.text).toBe(dialect === 'sqlite' ? 'SELECT ? + ? + ?' : 'SELECT $1 + $2 + $3');
    expect(statement.bind({ a: 1, b: 2 })).toEqual([2, 1, 2]);
  });

  it('leaves placeholder-like text inside string literals alone', async () => {
    const statement = sql.statement<{ n: number }>((p) => `SELECT '$1 ?' AS text, ${p('n')} AS n`);

    const row = await sql.first(statement, { n: 7 });

    expect(row?.text).toBe('$1 ?');
    expect(Number(row?.n)).toBe(7);
  });

  it('hydrates RETURNING rows from the entity: property names, booleans, BIGINT instants as Dates, nulls', async () => {
    const rows = sql.rowsOf(Item);

    const { rows: inserted } = await sql.run(insert(), {
      name: 'a',
      enabled: 1,
      seenAt: SEEN.getTime(),
    });
    const { rows: other } = await sql.run(insert(), {
      name: 'b',
      enabled: 0,
      seenAt: null,
    });

    expect(rows.hydrate(inserted[0])).toEqual({
      id: expect.any(Number),
      displayName: 'a',
      enabled: true,
      seenAt: SEEN,
    });
    expect(rows.hydrate(other[0])).toEqual({ id: expect.any(Number), displayName: 'b', enabled: false, seenAt: null });
  });

  it('lists every column of the entity, qualified by an alias when given, and hydrates partial rows', async () => {
    const rows = sql.rowsOf(Item);
    await sql.run(insert(), { name: 'c', enabled: 1, seenAt: null });

    expect(rows.selectList('i')).toBe('i.id, i.display_name, i.enabled, i.seen_at');
    const partial = await sql.first(
      sql.statement(() => 'SELECT display_name FROM sql_spec_items'),
      {},
    );
    expect(rows.hydrate(partial!)).toEqual({ displayName: 'c' });
  });

  it('counts the rows an UPDATE changed, and gives undefined for a statement that finds nothing', async () => {
    await sql.run(insert(), { name: 'd', enabled: 1, seenAt: null });
    await sql.run(insert(), { name: 'd', enabled: 1, seenAt: null });
    const rename = sql.statement<{ from: string; to: string }>(
      (p) => `UPDATE sql_spec_items SET display_name = ${p('to')} WHERE display_name = ${p('from')}`,
    );
    const find = sql.statement<{ name: string }>(
      (p) => `SELECT id FROM sql_spec_items WHERE display_name = ${p('name')}`,
    );

    await expect(sql.run(rename, { from: 'd', to: 'e' })).resolves.toMatchObject({ affected: 2 });
    await expect(sql.first(find, { name: 'd' })).resolves.toBeUndefined();
  });

  describe('transaction', () => {
    const names = async () =>
      (await dataSource.getRepository(Item).find({ order: { id: 'ASC' } })).map((item) => item.displayName);
    const add = (name: string) => query(insert(), { name, enabled: 1, seenAt: null });

    it("commits every step's statement when the work returns, and resumes each step with its result", async () => {
      const ids = await sql.transaction(function* (): Step<number[]> {
        const first = yield* add('a');
        const second = yield* add('b');
        return [Number(first.rows[0].id), Number(second.rows[0].id)];
      });

      expect(ids[1]).toBeGreaterThan(ids[0]);
      expect(await names()).toEqual(['a', 'b']);
    });

    it('rolls every statement back when the work throws, and rethrows what it threw', async () => {
      const failure = new Error('the work failed half-way');

      await expect(
        sql.transaction(function* () {
          yield* add('a');
          throw failure;
        }),
      ).rejects.toBe(failure);
      expect(await names()).toEqual([]);
    });

    it('rolls back when a statement fails, with the driver error as a QueryFailedError', async () => {
      const broken = sql.statement(() => 'INSERT INTO no_such_table (id) VALUES (1)');

      const attempt = sql.transaction(function* () {
        yield* add('a');
        yield* query(broken, {});
      });

      await expect(attempt).rejects.toBeInstanceOf(QueryFailedError);
      expect(await names()).toEqual([]);
      // The connection is usable afterwards: no transaction was left open on it.
      await sql.transaction(() => add('b'));
      expect(await names()).toEqual(['b']);
    });

    it('performs a step without a transaction, resuming it with each result', async () => {
      const id = await sql.perform(
        (function* (): Step<number> {
          const { rows } = yield* add('a');
          return Number(rows[0].id);
        })(),
      );

      expect(id).toBeGreaterThan(0);
      expect(await names()).toEqual(['a']);
    });

    if (dialect === 'sqlite') {
      it("lets no other work run between its statements on SQLite's one connection", async () => {
        let otherWorkRan = false;

        const sawOtherWork = await sql.transaction(function* () {
          yield* add('a');
          void Promise.resolve().then(() => (otherWorkRan = true));
          yield* add('b');
          return otherWorkRan;
        });

        expect(sawOtherWork).toBe(false);
        expect(otherWorkRan).toBe(true);
      });

      describe('asked for in one turn of the event loop (group commit)', () => {
        const count = () => sql.statement(() => 'SELECT COUNT(*) AS n FROM sql_spec_items');

        it('runs them in the order asked for, each seeing the work of those before', async () => {
          const seen = await Promise.all(
            ['a', 'b', 'c'].map((name) =>
              sql.transaction(function* () {
                const { rows } = yield* query(count(), {});
                yield* add(name);
                return Number(rows[0].n);
              }),
            ),
          );

          expect(seen).toEqual([0, 1, 2]);
          expect(await names()).toEqual(['a', 'b', 'c']);
        });

        it('rolls back only the one that throws, and settles each with its own outcome', async () => {
          const failure = new Error('b failed after its insert');

          const outcomes = await Promise.allSettled([
            sql.transaction(() => add('a')),
            sql.transaction(function* () {
              yield* add('b');
              throw failure;
            }),
            sql.transaction(() => add('c')),
          ]);

          expect(outcomes.map((outcome) => outcome.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
          expect(outcomes[1]).toEqual({ status: 'rejected', reason: failure });
          expect(await names()).toEqual(['a', 'c']);
        });

        it('commits none of them when SQLite rolls the whole transaction back, and rejects them all', async () => {
          // What SQLite does on some errors (a full disk, I/O): the savepoints go with it.
          const rollback = sql.statement(() => 'ROLLBACK');

          const outcomes = await Promise.allSettled([
            sql.transaction(() => add('a')),
            sql.transaction(function* () {
              yield* add('b');
              yield* query(rollback, {});
            }),
            sql.transaction(() => add('c')),
          ]);

          expect(outcomes.map((outcome) => outcome.status)).toEqual(['rejected', 'rejected', 'rejected']);
          expect(await names()).toEqual([]);
          await sql.transaction(() => add('d'));
          expect(await names()).toEqual(['d']);
        });
      });
    }
  });
});
