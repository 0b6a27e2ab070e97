// The raw drivers (better-sqlite3, pg) behind one small interface, for the hand-written baselines.
// They send the app's own statements (data-source.ts): `.text` is already in the driver's
// placeholder form and `.bind()` puts the parameters in its order.
import Database from 'better-sqlite3';
import pg from 'pg';
import type { BoundStatement, SqlParams, SqlResult, Statement, Step } from '../src/database/sql';

export type Row = Record<string, unknown>;

export interface RawDb {
  /**
   * The first row the statement returns, if any, as the driver gives it (PostgreSQL returns
   * BIGINT as text, SQLite booleans as 0 and 1).
   */
  one<P extends SqlParams>(statement: Statement<P>, params: P): Promise<Row | undefined>;
  /** How many rows the statement changed. */
  run<P extends SqlParams>(statement: Statement<P>, params: P): Promise<number>;
  /**
   * The app's transactions (Sql.transaction), the way a hand-written service would run them:
   * synchronously inside better-sqlite3's transaction, or between BEGIN and COMMIT on one pooled
   * PostgreSQL client.
   */
  transaction<T>(work: () => Step<T>): Promise<T>;
  close(): Promise<void>;
}

/**
 * SQLite gets the app's pragmas (WAL, synchronous NORMAL, foreign keys) and each statement
 * prepared once and kept for the life of the process, as a hand-written better-sqlite3 service
 * would; PostgreSQL a pool of `poolSize`, like the app's.
 */
export function openRawDb(url: string, { poolSize = 10 } = {}): RawDb {
  return url.startsWith('sqlite:') ? openSqlite(url.slice('sqlite:'.length)) : openPostgres(url, poolSize);
}

function openSqlite(file: string): RawDb {
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('foreign_keys = ON');
  const prepared = new Map<string, Database.Statement<unknown[]>>();
  const prepare = ({ text }: { text: string }) => {
    let compiled = prepared.get(text);
    if (!compiled) {
      compiled = db.prepare<unknown[]>(text);
      prepared.set(text, compiled);
    }
    return compiled;
  };
  const runNow = (statement: BoundStatement): SqlResult => {
    const compiled = prepare(statement);
    if (compiled.reader) return { rows: compiled.all(...statement.values) as Row[], affected: 0 };
    return { rows: [], affected: compiled.run(...statement.values).changes };
  };
  return {
    one: <P extends SqlParams>(statement: Statement<P>, params: P) =>
      Promise.resolve(prepare(statement).get(...statement.bind(params)) as Row | undefined),
    run: <P extends SqlParams>(statement: Statement<P>, params: P) =>
      Promise.resolve(prepare(statement).run(...statement.bind(params)).changes),
    transaction: <T>(work: () => Step<T>) =>
      Promise.resolve(
        db.transaction(() => {
          const steps = work();
          let next = steps.next();
          while (!next.done) next = steps.next(runNow(next.value));
          return next.value;
        })(),
      ),
    close: () => Promise.resolve(void db.close()),
  };
}

function openPostgres(url: string, poolSize: number): RawDb {
  const pool = new pg.Pool({ connectionString: url, max: poolSize });
  return {
    one: async <P extends SqlParams>(statement: Statement<P>, params: P) =>
      (await pool.query<Row>(statement.text, statement.bind(params))).rows[0],
    run: async <P extends SqlParams>(statement: Statement<P>, params: P) =>
      (await pool.query(statement.text, statement.bind(params))).rowCount ?? 0,
    transaction: async <T>(work: () => Step<T>) => {
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        const steps = work();
        let next = steps.next();
        while (!next.done) {
          const result = await client.query<Row>(next.value.text, next.value.values);
          next = steps.next({ rows: result.rows, affected: result.rowCount ?? 0 });
        }
        await client.query('COMMIT');
        return next.value;
      } catch (error) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw error;
      } finally {
        client.release();
      }
    },
    close: () => pool.end(),
  };
}
