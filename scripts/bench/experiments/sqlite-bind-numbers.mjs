// Measurement aid, not a fix: BENCH_APP_NODE_ARGS="--import ./scripts/bench/experiments/sqlite-bind-numbers.mjs"
// makes TypeORM's SQLite driver bind integer parameters instead of writing them into the SQL text.
// Inlined, every timestamp and id makes a new statement text, so the driver's statement cache
// misses and better-sqlite3 compiles the statement again on each request.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const { AbstractSqliteDriver } = require('typeorm/driver/sqlite-abstract/AbstractSqliteDriver.js');

const escape = AbstractSqliteDriver.prototype.escapeQueryWithParameters;
AbstractSqliteDriver.prototype.escapeQueryWithParameters = function (sql, parameters) {
  if (!parameters) return escape.call(this, sql, parameters);
  const bound = {};
  for (const [key, value] of Object.entries(parameters)) {
    // better-sqlite3 binds a BigInt as an INTEGER; the original code only inlines `number`s.
    bound[key] = typeof value === 'number' && Number.isSafeInteger(value) ? BigInt(value) : value;
  }
  return escape.call(this, sql, bound);
};
