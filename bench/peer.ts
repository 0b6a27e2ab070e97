// The harness's side of the peer (bench/peer/): its own install, apart from the app's, and how it
// is started. Its code is plain ES modules run from bench/peer/; its dependencies are installed
// from its own lock file by `npm ci` when node_modules is missing or the lock file changed.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { PEER_SECRET, ROOT } from './config';

export const PEER_DIR = resolve(ROOT, 'bench/peer');
export const PEER_SERVER = join(PEER_DIR, 'server.mjs');
export const PEER_MIGRATE = join(PEER_DIR, 'migrate.mjs');
/** better-auth's own health route. */
export const PEER_READY_PATH = '/api/auth/ok';

const LOCK_FILE = join(PEER_DIR, 'package-lock.json');
/** Written after a successful install: the hash of the lock file it installed. */
const STAMP_FILE = join(PEER_DIR, 'node_modules', '.bench-installed-lock');

export function lockHash(lockText: string): string {
  return createHash('sha256').update(lockText).digest('hex');
}

/**
 * What an install is made for: the lock file, and the Node ABI its native addon (better-sqlite3)
 * was compiled against, so a bench run on another Node major (scripts/ci/with-node.sh 24 npm run
 * bench) installs the peer again instead of crashing on the other Node's addon.
 */
export function installStamp(lockText: string, abi: string = process.versions.modules): string {
  return `${lockHash(lockText)} node-abi-${abi}`;
}

/** Why the peer must be installed again, or undefined when its node_modules matches its lock and this Node. */
export function installReason(
  installed: { stamp: string | undefined },
  lock: string,
  abi: string = process.versions.modules,
): string | undefined {
  if (installed.stamp === undefined) return 'bench/peer/node_modules is missing or was not installed by the bench';
  const stamp = installed.stamp.trim();
  if (stamp === installStamp(lock, abi)) return undefined;
  const [hash, builtFor = 'unknown'] = stamp.split(' ');
  return hash === lockHash(lock)
    ? `it was installed for another Node (${builtFor})`
    : 'bench/peer/package-lock.json changed';
}

/** `npm ci --prefix bench/peer` when needed; its output goes to the terminal. */
export function ensurePeerInstalled(log: (message: string) => void): void {
  const lock = readFileSync(LOCK_FILE, 'utf8');
  const reason = installReason({ stamp: existsSync(STAMP_FILE) ? readFileSync(STAMP_FILE, 'utf8') : undefined }, lock);
  if (!reason) return;
  log(`installing the peer (${reason}): npm ci --prefix bench/peer`);
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const result = spawnSync(npm, ['ci', '--prefix', PEER_DIR, '--no-audit', '--no-fund'], {
    cwd: ROOT,
    stdio: 'inherit',
  });
  if (result.status !== 0) throw new Error(`npm ci --prefix bench/peer failed (${result.status ?? result.signal})`);
  writeFileSync(STAMP_FILE, `${installStamp(lock)}\n`);
}

/** The installed versions of the peer's packages, for the results. */
export function peerVersions(): Record<string, string> {
  const version = (name: string) =>
    (JSON.parse(readFileSync(join(PEER_DIR, 'node_modules', name, 'package.json'), 'utf8')) as { version: string })
      .version;
  return { 'better-auth': version('better-auth'), 'better-sqlite3': version('better-sqlite3') };
}

/** What bench/peer/auth.mjs reads. */
export function peerEnvironment({ port, file, outbox }: { port: number; file: string; outbox?: string }) {
  return {
    PORT: String(port),
    PEER_DATABASE: file,
    PEER_SECRET,
    PEER_OUTBOX: outbox ?? '',
    NODE_ENV: 'production',
  };
}
