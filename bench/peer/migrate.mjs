// Creates the peer's tables with better-auth's own migration planner (what `auth migrate` runs),
// on the database file the harness names; run once before the peer starts.
import { getMigrations } from 'better-auth/db/migration';
import { peerOptions, peerSettings } from './auth.mjs';

const options = peerOptions(peerSettings());
const { toBeCreated, toBeAdded, runMigrations } = await getMigrations(options);
await runMigrations();
options.database.close();
console.log(`peer schema: ${toBeCreated.length} tables created, ${toBeAdded.length} altered`);
