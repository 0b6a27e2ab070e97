import { randomBytes } from 'node:crypto';
import { Client } from 'pg';

export type Dialect = 'sqlite' | 'postgres';

/**
 * The dialects the e2e suites run on: SQLite always, PostgreSQL when TEST_DATABASE_URL is set.
 * Under CI a missing PostgreSQL is an error, not a quiet skip.
 */
export function dialects(): Dialect[] {
  if (process.env.TEST_DATABASE_URL) return ['sqlite', 'postgres'];
  if (process.env.CI === 'true') {
    throw new Error('CI=true but TEST_DATABASE_URL is not set: the PostgreSQL e2e suites would be skipped');
  }
  return ['sqlite'];
}

export interface TestDatabase {
  url: string;
  drop(): Promise<void>;
}

/**
 * A throw-away database: in-memory SQLite, or a fresh PostgreSQL database named `otp_auth_test_…`
 * on `serverUrl` (TEST_DATABASE_URL unless given; the benchmark passes its own).
 */
export async function createTestDatabase(
  dialect: Dialect,
  serverUrl = process.env.TEST_DATABASE_URL as string,
): Promise<TestDatabase> {
  if (dialect === 'sqlite') return { url: 'sqlite::memory:', drop: () => Promise.resolve() };

  const server = new URL(serverUrl);
  const name = `otp_auth_test_${randomBytes(6).toString('hex')}`;
  await withClient(server, (client) => client.query(`CREATE DATABASE ${name}`));
  const url = new URL(server);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: () =>
      withClient(server, (client) => client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)).then(
        () => undefined,
      ),
  };
}

async function withClient<T>(url: URL, work: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: url.toString() });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}
