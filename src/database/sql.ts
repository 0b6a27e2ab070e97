import { Injectable } from '@nestjs/common';
import type { Database as SqliteDatabase, Statement as SqliteStatement } from 'better-sqlite3';
import { DataSource, QueryFailedError, type EntityTarget, type ObjectLiteral, type QueryResult } from 'typeorm';
import type { BetterSqlite3Driver } from 'typeorm/driver/better-sqlite3/BetterSqlite3Driver';
import type { ColumnMetadata } from 'typeorm/metadata/ColumnMetadata';

export type SqlValue = string | number | null;
export type SqlParams = Record<string, SqlValue>;

/**
 * One hand-written statement whose text never changes, so better-sqlite3 compiles it once
 * (TypeORM caches statements by their text) and nothing builds SQL per request: the query
 * builder cost a third to a half of the hot routes' CPU, and on SQLite it writes numbers into the
 * text, so every timestamp compiled a new statement (docs/benchmarks.md).
 *
 * Placeholders come from the driver (`?` for SQLite, `$n` for PostgreSQL), one per use of a named
 * parameter, so the text holds no dialect of its own beyond SQL both databases speak.
 */
export class Statement<P extends SqlParams = SqlParams> {
  constructor(
    readonly text: string,
    /** The parameter each placeholder takes, in the order they appear. */
    readonly order: readonly (keyof P & string)[],
  ) {}

  bind(params: P): SqlValue[] {
    return this.order.map((name) => params[name]);
  }
}

export interface SqlResult {
  rows: Record<string, unknown>[];
  /** Rows an UPDATE or DELETE changed. */
  affected: number;
}

/** A statement with its values, as a transaction's step hands it to {@link Sql.transaction}. */
export interface BoundStatement {
  text: string;
  values: SqlValue[];
}

/**
 * Work inside a transaction, written as a generator that yields each statement and is resumed
 * with its result (`const { rows } = yield* query(statement, params)`), so the same code can be
 * driven synchronously on SQLite and asynchronously on PostgreSQL (see {@link Sql.transaction}).
 */
export type Step<T> = Generator<BoundStatement, T, SqlResult>;

/** One statement of a transaction. */
export function* query<P extends SqlParams>(statement: Statement<P>, params: P): Step<SqlResult> {
  return yield { text: statement.text, values: statement.bind(params) };
}

/** Writes one placeholder for the named parameter, as the driver spells it. */
export type Param<P extends SqlParams> = (name: keyof P & string) => string;

/**
 * A table's rows as its entity describes them: the select list and the hydration both come from
 * TypeORM's metadata, so a column is written once, in the entity (and its migration).
 */
export class EntityRows<T extends ObjectLiteral> {
  private readonly columns: readonly ColumnMetadata[];

  constructor(
    private readonly dataSource: DataSource,
    target: EntityTarget<T>,
  ) {
    this.columns = dataSource.getMetadata(target).columns;
  }

  /** Every column of the table, optionally qualified by a table alias. */
  selectList(alias?: string): string {
    const prefix = alias ? `${alias}.` : '';
    return this.columns.map((column) => prefix + column.databaseName).join(', ');
  }

  /** The columns of these properties, in their order. */
  columnNames(properties: readonly (keyof T & string)[]): string[] {
    return properties.map((name) => {
      const column = this.columns.find((candidate) => candidate.propertyName === name);
      if (!column) throw new Error(`${name} is not a column`);
      return column.databaseName;
    });
  }

  /** An entity from a raw row; columns the row does not hold are left out (for partial selects). */
  hydrate(raw: Record<string, unknown>): T {
    const entity: Record<string, unknown> = {};
    for (const column of this.columns) {
      if (column.databaseName in raw) {
        entity[column.propertyName] = this.dataSource.driver.prepareHydratedValue(raw[column.databaseName], column);
      }
    }
    return entity as T;
  }
}

/**
 * Runs statements on TypeORM's connection, so they share its pool, its logging and its errors
 * (`QueryFailedError`, which the problem filter maps to 503 when the database is unreachable).
 */
@Injectable()
export class Sql {
  private readonly sqliteConnections = new WeakMap<SqliteDatabase, SqliteConnection>();

  constructor(private readonly dataSource: DataSource) {}

  /** A constant statement; `write` gets a function that places a named parameter. */
  statement<P extends SqlParams>(write: (param: Param<P>) => string): Statement<P> {
    const order: (keyof P & string)[] = [];
    const text = write((name) => {
      order.push(name);
      return this.dataSource.driver.createParameter(name, order.length - 1);
    });
    return new Statement(text, order);
  }

  rowsOf<T extends ObjectLiteral>(target: EntityTarget<T>): EntityRows<T> {
    return new EntityRows(this.dataSource, target);
  }

  /**
   * On SQLite the statement runs on better-sqlite3 directly, as in a transaction: TypeORM's query
   * runner adds nothing to a constant statement there but its event broadcasting and result
   * wrapping, which cost 8 % of verify-otp's CPU (docs/benchmarks.md).
   */
  run<P extends SqlParams>(statement: Statement<P>, params: P): Promise<SqlResult> {
    return this.runBound({ text: statement.text, values: statement.bind(params) });
  }

  /**
   * Runs a step's statements each on its own, without a transaction: for a step that is a single
   * statement, where BEGIN and COMMIT would only add two round trips on PostgreSQL.
   */
  async perform<T>(step: Step<T>): Promise<T> {
    let next = step.next();
    while (!next.done) next = step.next(await this.runBound(next.value));
    return next.value;
  }

  private async runBound(statement: BoundStatement): Promise<SqlResult> {
    const sqlite = this.sqlite();
    if (sqlite) return sqlite.run(statement);
    const runner = this.dataSource.createQueryRunner();
    try {
      return this.resultOf(await runner.query(statement.text, statement.values, true));
    } finally {
      await runner.release();
    }
  }

  async first<P extends SqlParams>(statement: Statement<P>, params: P): Promise<Record<string, unknown> | undefined> {
    return (await this.run(statement, params)).rows[0];
  }

  /**
   * Runs `work` as one transaction: committed when it returns, rolled back when it throws.
   *
   * SQLite has one connection for every request, so a transaction that awaited between its
   * statements would take in whatever other requests sent meanwhile (and roll it back with its
   * own). There the steps run synchronously inside better-sqlite3's transaction, so nothing else
   * runs until it ends, and the transactions asked for in one turn of the event loop share one
   * commit (see {@link SqliteConnection.commitQueued}). On PostgreSQL the steps run on a pooled
   * connection of their own.
   */
  async transaction<T>(work: () => Step<T>): Promise<T> {
    const sqlite = this.sqlite();
    if (sqlite) return sqlite.transaction(work);
    const runner = this.dataSource.createQueryRunner();
    try {
      await runner.startTransaction();
      const steps = work();
      let next = steps.next();
      while (!next.done) {
        next = steps.next(this.resultOf(await runner.query(next.value.text, next.value.values, true)));
      }
      await runner.commitTransaction();
      return next.value;
    } catch (error) {
      if (runner.isTransactionActive) await runner.rollbackTransaction().catch(() => undefined);
      throw error;
    } finally {
      await runner.release();
    }
  }

  /** better-sqlite3's connection when the database is SQLite (one for the whole process). */
  private sqlite(): SqliteConnection | undefined {
    const { driver, options } = this.dataSource;
    if (options.type !== 'better-sqlite3') return undefined;
    const db = (driver as BetterSqlite3Driver).databaseConnection as SqliteDatabase;
    let connection = this.sqliteConnections.get(db);
    if (!connection) this.sqliteConnections.set(db, (connection = new SqliteConnection(db)));
    return connection;
  }

  private resultOf(result: unknown): SqlResult {
    const { records, affected } = result as QueryResult<Record<string, unknown>>;
    return { rows: records ?? [], affected: affected ?? 0 };
  }
}

/** A transaction waiting for its group commit on SQLite. */
interface Queued {
  work: () => Step<unknown>;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

/** What one transaction of a group gave, or threw. */
type Outcome = { value: unknown } | { error: unknown };

/**
 * better-sqlite3's connection, with its compiled statements and the transactions waiting for the
 * next group commit. Its transaction functions are made once: better-sqlite3 builds four wrappers
 * for every `db.transaction()` call (3 % of send-otp's CPU when made per transaction).
 */
class SqliteConnection {
  private readonly statements = new Map<string, SqliteStatement>();
  private queue: Queued[] = [];
  /** A transaction of its own, or a savepoint inside {@link together}. */
  private readonly atomically: (work: () => Step<unknown>) => unknown;
  /** Each queued transaction in a savepoint, all in one transaction; what each gave or threw. */
  private readonly together: (batch: readonly Queued[]) => Outcome[];

  constructor(private readonly db: SqliteDatabase) {
    this.atomically = db.transaction((work: () => Step<unknown>) => drive(work(), (statement) => this.run(statement)));
    this.together = db.transaction((batch: readonly Queued[]) =>
      batch.map(({ work }): Outcome => {
        try {
          return { value: this.atomically(work) };
        } catch (error) {
          // Some errors (a full disk, I/O) make SQLite roll back the whole transaction, the
          // savepoints of the others included: then nothing of the batch is committed.
          if (!db.inTransaction) throw error;
          return { error };
        }
      }),
    );
  }

  transaction<T>(work: () => Step<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ work, resolve: resolve as (value: unknown) => void, reject });
      if (this.queue.length === 1) setImmediate(() => this.commitQueued());
    });
  }

  /**
   * Group commit: the transactions queued since the last turn run one after another, in the order
   * they were asked for, inside one SQLite transaction, each in a savepoint of its own, so one that
   * throws rolls back alone and the rest commit together. A commit writes every page its
   * transaction dirtied to the WAL, and the tables' and indexes' rightmost pages and
   * `sqlite_sequence` are the same pages from one request to the next: under load most of a
   * commit's writes are shared (docs/benchmarks.md, "Group commit"). Each caller still waits for
   * the commit that makes its work durable; none sees another's work before its own runs.
   */
  private commitQueued(): void {
    const batch = this.queue;
    this.queue = [];
    let outcomes: Outcome[];
    try {
      outcomes = batch.length === 1 ? [{ value: this.atomically(batch[0].work) }] : this.together(batch);
    } catch (error) {
      for (const entry of batch) entry.reject(error);
      return;
    }
    batch.forEach((entry, index) => {
      const outcome = outcomes[index];
      if ('error' in outcome) entry.reject(outcome.error);
      else entry.resolve(outcome.value);
    });
  }

  /** One statement, now; failures are QueryFailedErrors, as TypeORM's own. */
  run({ text, values }: BoundStatement): SqlResult {
    try {
      let statement = this.statements.get(text);
      if (!statement) this.statements.set(text, (statement = this.db.prepare(text)));
      if (statement.reader) return { rows: statement.all(...values) as Record<string, unknown>[], affected: 0 };
      return { rows: [], affected: statement.run(...values).changes };
    } catch (error) {
      throw new QueryFailedError(text, values, error as Error);
    }
  }
}

/** Answers each statement `steps` yields with `run`, synchronously, and returns what it returns. */
function drive<T>(steps: Step<T>, run: (statement: BoundStatement) => SqlResult): T {
  let next = steps.next();
  while (!next.done) next = steps.next(run(next.value));
  return next.value;
}
