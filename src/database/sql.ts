import { Injectable } from '@nestjs/common';
import { DataSource, type EntityTarget, type ObjectLiteral, type QueryResult } from 'typeorm';
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

  async run<P extends SqlParams>(statement: Statement<P>, params: P): Promise<SqlResult> {
    const runner = this.dataSource.createQueryRunner();
    try {
      const result = (await runner.query(statement.text, statement.bind(params), true)) as QueryResult<
        Record<string, unknown>
      >;
      return { rows: result.records ?? [], affected: result.affected ?? 0 };
    } finally {
      await runner.release();
    }
  }

  async first<P extends SqlParams>(statement: Statement<P>, params: P): Promise<Record<string, unknown> | undefined> {
    return (await this.run(statement, params)).rows[0];
  }
}
