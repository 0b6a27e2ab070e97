// The raw drivers (better-sqlite3, pg) behind one small interface, for the hand-written baselines
// and for seeding their databases. Statements are written once in PostgreSQL form ($1, $2, …) and
// rewritten to `?` for SQLite; placeholders must therefore appear once each and in order.
import Database from 'better-sqlite3';
import pg from 'pg';

/**
 * The statements the app sends (src/users/users.service.ts, src/auth/sessions.service.ts,
 * src/otp/otp.service.ts), with each placeholder once and in order as openSqlite needs; the
 * seeding INSERTs name every column.
 */
const USER_COLUMNS =
  'id, phone_number, username, first_name, last_name, is_phone_verified, is_active, date_joined, last_login';
export const SQL = {
  userById: `SELECT ${USER_COLUMNS} FROM users WHERE id = $1 AND is_active = TRUE`,
  /** The app's guard: the live session and its active user in one statement. */
  sessionUser:
    `SELECT ${USER_COLUMNS.replace(/(\w+)/g, 'u.$1')} FROM sessions s JOIN users u ON u.id = s.user_id ` +
    'WHERE s.id = $1 AND s.user_id = $2 AND s.revoked_at IS NULL AND s.expires_at > $3 AND u.is_active = TRUE',
  userUpsert:
    'INSERT INTO users (phone_number, username, first_name, last_name, is_phone_verified, is_active, date_joined) ' +
    "VALUES ($1, $2, '', '', TRUE, TRUE, $3) ON CONFLICT (phone_number) DO UPDATE SET is_phone_verified = TRUE " +
    `RETURNING ${USER_COLUMNS}`,
  userSignedIn: 'UPDATE users SET last_login = $1 WHERE id = $2',
  userInsert:
    'INSERT INTO users (phone_number, username, first_name, last_name, is_phone_verified, is_active, date_joined, ' +
    'last_login) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)',
  sessionStart:
    'INSERT INTO sessions (id, user_id, refresh_jti, rotated_at, created_at, last_used_at, expires_at, user_agent, ip) ' +
    'VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)',
  sessionInsert:
    'INSERT INTO sessions (id, user_id, refresh_jti, previous_refresh_jti, rotated_at, created_at, last_used_at, ' +
    'expires_at, revoked_at, revoked_reason, user_agent, ip) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)',
  codeCountAttempt:
    'UPDATE otp_codes SET attempts = attempts + 1 ' +
    'WHERE id = (SELECT MAX(id) FROM otp_codes WHERE phone_number = $1) ' +
    'AND consumed_at IS NULL AND invalidated_at IS NULL AND expires_at > $2 AND attempts < $3 RETURNING id, code_hash',
  codeConsume: 'UPDATE otp_codes SET consumed_at = $1 WHERE id = $2 AND consumed_at IS NULL AND invalidated_at IS NULL',
  codeIssue:
    'INSERT INTO otp_codes (phone_number, code_hash, attempts, created_at, expires_at) VALUES ($1, $2, 0, $3, $4) ' +
    'RETURNING id',
  codeRetireOlder:
    'UPDATE otp_codes SET invalidated_at = $1 ' +
    'WHERE phone_number = $2 AND id < $3 AND consumed_at IS NULL AND invalidated_at IS NULL',
  codeInsert:
    'INSERT INTO otp_codes (phone_number, code_hash, attempts, created_at, expires_at, consumed_at, invalidated_at) ' +
    'VALUES ($1, $2, $3, $4, $5, $6, $7)',
};

/**
 * `one` returns the first row or null, `run` the affected count, `insert` the new row's id.
 * SQLite gets the app's pragmas (WAL, synchronous NORMAL, foreign keys) and prepared statements
 * kept for the life of the process, as a hand-written better-sqlite3 service would.
 */
export function openDb(url, { poolSize = 10 } = {}) {
  return url.startsWith('sqlite:') ? openSqlite(url.slice('sqlite:'.length)) : openPostgres(url, poolSize);
}

function openSqlite(file) {
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('foreign_keys = ON');
  const statements = new Map();
  const prepare = (sql) => {
    let statement = statements.get(sql);
    if (!statement) {
      statement = db.prepare(sql.replace(/\$\d+/g, '?'));
      statements.set(sql, statement);
    }
    return statement;
  };
  const values = (params) => params.map((value) => (typeof value === 'boolean' ? Number(value) : value));
  return {
    kind: 'sqlite',
    one: (sql, params) => Promise.resolve(prepare(sql).get(values(params)) ?? null),
    run: (sql, params) => Promise.resolve(prepare(sql).run(values(params)).changes),
    insert: (sql, params) => Promise.resolve(Number(prepare(sql).run(values(params)).lastInsertRowid)),
    insertMany: (sql, rows) => {
      const statement = prepare(sql);
      db.transaction(() => rows.forEach((row) => statement.run(values(row))))();
      return Promise.resolve();
    },
    close: () => Promise.resolve(db.close()),
  };
}

function openPostgres(url, poolSize) {
  const pool = new pg.Pool({ connectionString: url, max: poolSize });
  return {
    kind: 'postgres',
    one: async (sql, params) => (await pool.query(sql, params)).rows[0] ?? null,
    run: async (sql, params) => (await pool.query(sql, params)).rowCount ?? 0,
    insert: async (sql, params) => Number((await pool.query(`${sql} RETURNING id`, params)).rows[0].id),
    /** Multi-row INSERTs of up to 1,000 rows each. */
    insertMany: async (sql, rows) => {
      const [head] = sql.split(' VALUES ');
      for (let offset = 0; offset < rows.length; offset += 1_000) {
        const batch = rows.slice(offset, offset + 1_000);
        const width = batch[0].length;
        const tuples = batch.map((_, r) => `(${batch[0].map((__, c) => `$${r * width + c + 1}`).join(', ')})`);
        await pool.query(`${head} VALUES ${tuples.join(', ')}`, batch.flat());
      }
    },
    close: () => pool.end(),
  };
}

/** The app's USER object (DESIGN §4) from a row of either driver (PostgreSQL returns BIGINT as text). */
export function toUserResponse(row) {
  return {
    id: Number(row.id),
    phone_number: row.phone_number,
    username: row.username,
    first_name: row.first_name,
    last_name: row.last_name,
    is_phone_verified: Boolean(row.is_phone_verified),
    date_joined: new Date(Number(row.date_joined)).toISOString().replace(/\.\d{3}Z$/, 'Z'),
  };
}
