// The bench's peer: phone-number sign-in built from better-auth, as its documentation sets it up
// (the phone-number plugin signing up on verification, the bearer plugin), on better-sqlite3 with
// the app's SQLite pragmas. Installed apart from the app (bench/peer/package.json); the harness
// migrates its database with migrate.mjs and serves it with server.mjs (docs/benchmarks.md).
import Database from 'better-sqlite3';
import { bearer, phoneNumber } from 'better-auth/plugins';
import { appendFile } from 'node:fs/promises';

/** What the harness passes: PEER_DATABASE (a file), PEER_SECRET, PORT, and PEER_OUTBOX or none. */
export function peerSettings(env = process.env) {
  const required = (name) => {
    if (!env[name]) throw new Error(`${name} is required`);
    return env[name];
  };
  return {
    databaseFile: required('PEER_DATABASE'),
    secret: required('PEER_SECRET'),
    port: Number(env.PORT ?? 0),
    outbox: env.PEER_OUTBOX || undefined,
  };
}

/**
 * The app's SQLite connection (src/database/typeorm.options.ts and TypeORM's better-sqlite3
 * driver): WAL, synchronous NORMAL, foreign keys on, a 5 s busy timeout.
 */
function openDatabase(file) {
  const db = new Database(file, { timeout: 5_000 });
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('foreign_keys = ON');
  return db;
}

/**
 * Does what the app's mock SMS provider does at the bench's settings: with an outbox file, appends
 * `{"kind":"code","to","body","sent_at"}` as a JSON line (the harness reads the codes from it);
 * without one, renders the text and sends nothing.
 */
function deliverTo(outbox) {
  return async ({ phoneNumber: to, code }) => {
    const body = `Your code is ${code}`;
    if (!outbox) return;
    const line = { kind: 'code', to, body, sent_at: new Date().toISOString() };
    await appendFile(outbox, JSON.stringify(line) + '\n');
  };
}

/** better-auth's options: the same ones serve the server and the migration. */
export function peerOptions({ databaseFile, secret, port, outbox }) {
  return {
    database: openDatabase(databaseFile),
    secret,
    baseURL: `http://127.0.0.1:${port}`,
    // The app's limits are raised in the bench; better-auth's own limiter is off instead.
    rateLimit: { enabled: false },
    telemetry: { enabled: false },
    logger: { level: 'warn' },
    plugins: [
      phoneNumber({
        sendOTP: deliverTo(outbox),
        signUpOnVerification: {
          getTempEmail: (phone) => `${phone.replace(/\D/g, '')}@phone.invalid`,
          getTempName: (phone) => phone,
        },
      }),
      bearer(),
    ],
  };
}
