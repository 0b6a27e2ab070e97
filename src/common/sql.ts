import { Injectable } from '@nestjs/common';
import { DataSource, type QueryResult } from 'typeorm';

export type SqlValue = string | number | null;

/**
 * One hand-written statement, with PostgreSQL's `$1`…`$n` placeholders (a number may repeat).
 *
 * The services read and write through these instead of the query builder and find options: a
 * statement's text never changes, so better-sqlite3 compiles it once (TypeORM caches statements
 * by their text), and nothing builds SQL or hydrates entities per request. The query builder cost a third to a half of the CPU of every
 * hot route, and on SQLite it writes numbers into the SQL text, so each timestamp compiled a new
 * statement and the process grew (docs/benchmarks.md). The text must be SQL both dialects speak.
 */
export class Statement {
  /** For better-sqlite3, which binds by position: `?`s, and the parameter each one takes. */
  readonly positional: { readonly text: string; readonly order: readonly number[] };

  constructor(readonly text: string) {
    const order: number[] = [];
    const positional = text.replace(/\$(\d+)/g, (_placeholder, n: string) => {
      order.push(Number(n) - 1);
      return '?';
    });
    this.positional = { text: positional, order };
  }
}

export const sql = (text: string): Statement => new Statement(text);

export interface SqlResult<Row> {
  rows: Row[];
  /** Rows an UPDATE or DELETE changed. */
  affected: number;
}

/**
 * Runs statements on TypeORM's connection, so they share its pool, its logging and its errors
 * (`QueryFailedError`, which the problem filter maps to 503 when the database is unreachable).
 */
@Injectable()
export class Sql {
  private readonly positional: boolean;

  constructor(private readonly dataSource: DataSource) {
    this.positional = dataSource.options.type === 'better-sqlite3';
  }

  async run<Row = never>(statement: Statement, params: readonly SqlValue[] = []): Promise<SqlResult<Row>> {
    const runner = this.dataSource.createQueryRunner();
    try {
      const { text, order } = statement.positional;
      const result = (
        this.positional
          ? await runner.query(
              text,
              order.map((index) => params[index]),
              true,
            )
          : await runner.query(statement.text, [...params], true)
      ) as QueryResult<Row>;
      return { rows: result.records ?? [], affected: result.affected ?? 0 };
    } finally {
      await runner.release();
    }
  }

  async first<Row>(statement: Statement, params: readonly SqlValue[] = []): Promise<Row | undefined> {
    return (await this.run<Row>(statement, params)).rows[0];
  }
}

/** An epoch-milliseconds BIGINT column (a string from PostgreSQL, a number from SQLite) as a Date. */
export const toDate = (value: string | number): Date => new Date(Number(value));

export const toDateOrNull = (value: string | number | null): Date | null => (value === null ? null : toDate(value));
