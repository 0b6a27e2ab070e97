import { QueryFailedError } from 'typeorm';
import { isDatabaseUnavailable, isUniqueViolation } from './database-errors';

const failed = (driverError: Error) => new QueryFailedError('SELECT 1', [], driverError);
const withCode = (message: string, code: string) => Object.assign(new Error(message), { code });

describe('isDatabaseUnavailable', () => {
  it.each([
    ['a refused connection', withCode('connect ECONNREFUSED 127.0.0.1:5432', 'ECONNREFUSED')],
    ['a reset connection', withCode('read ECONNRESET', 'ECONNRESET')],
    ['pg pool exhaustion', new Error('timeout exceeded when trying to connect')],
    ['a server that went away', new Error('Connection terminated unexpectedly')],
    ['admin shutdown (57P01)', failed(withCode('terminating connection due to administrator command', '57P01'))],
    ['a statement timeout (57014)', failed(withCode('canceling statement due to statement timeout', '57014'))],
    ['too many connections (53300)', failed(withCode('sorry, too many clients already', '53300'))],
    ['a busy SQLite file', failed(withCode('database is locked', 'SQLITE_BUSY'))],
  ])('recognises %s', (_case, error) => {
    expect(isDatabaseUnavailable(error)).toBe(true);
  });

  it.each([
    ['a unique violation', failed(withCode('duplicate key value', '23505'))],
    ['a syntax error', failed(withCode('syntax error at or near', '42601'))],
    ['a plain bug', new TypeError("Cannot read properties of undefined (reading 'id')")],
    ['a non-error', 'ECONNREFUSED'],
  ])('leaves %s alone', (_case, error) => {
    expect(isDatabaseUnavailable(error)).toBe(false);
  });
});

describe('isUniqueViolation', () => {
  it('recognises PostgreSQL 23505 and SQLite SQLITE_CONSTRAINT_UNIQUE, nothing else', () => {
    expect(isUniqueViolation(failed(withCode('duplicate key', '23505')))).toBe(true);
    expect(isUniqueViolation(failed(withCode('UNIQUE constraint failed', 'SQLITE_CONSTRAINT_UNIQUE')))).toBe(true);
    expect(isUniqueViolation(failed(withCode('not null', '23502')))).toBe(false);
    expect(isUniqueViolation(withCode('duplicate key', '23505'))).toBe(false);
  });
});
