import { DataSource } from 'typeorm';
import { sql, Sql } from './sql';

describe('sql', () => {
  it('rewrites $n placeholders to positional ones, repeats and reordering included, for SQLite', () => {
    const statement = sql('UPDATE t SET a = $2, b = $1 WHERE c = $2');

    expect(statement.text).toBe('UPDATE t SET a = $2, b = $1 WHERE c = $2');
    expect(statement.positional).toEqual({ text: 'UPDATE t SET a = ?, b = ? WHERE c = ?', order: [1, 0, 1] });
  });
});

describe('Sql on better-sqlite3', () => {
  let dataSource: DataSource;
  let db: Sql;

  beforeAll(async () => {
    dataSource = await new DataSource({ type: 'better-sqlite3', database: ':memory:' }).initialize();
    await dataSource.query('CREATE TABLE t (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT, n BIGINT)');
    db = new Sql(dataSource);
  });

  afterAll(() => dataSource.destroy());

  it('binds each parameter where its number says, and returns RETURNING rows', async () => {
    const { rows } = await db.run<{ id: number; name: string; n: number }>(
      sql('INSERT INTO t (n, name) VALUES ($2, $1) RETURNING id, name, n'),
      ['a', 1_795_485_367_232],
    );

    expect(rows).toEqual([{ id: 1, name: 'a', n: 1_795_485_367_232 }]);
  });

  it('counts the rows an UPDATE changed', async () => {
    await db.run(sql('INSERT INTO t (name, n) VALUES ($1, $2), ($1, $3)'), ['b', 1, 2]);

    await expect(db.run(sql('UPDATE t SET n = n + 1 WHERE name = $1'), ['b'])).resolves.toEqual({
      rows: [],
      affected: 2,
    });
    await expect(db.first(sql('SELECT COUNT(*) AS c FROM t WHERE name = $1 AND n > $2'), ['b', 1])).resolves.toEqual({
      c: 2,
    });
  });

  it('gives undefined for a statement that finds nothing', async () => {
    await expect(db.first(sql('SELECT id FROM t WHERE name = $1'), ['nobody'])).resolves.toBeUndefined();
  });
});
