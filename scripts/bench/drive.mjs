// Parent side of the load generator: one autocannon process per run, pinned away from the servers.
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pinnedCommand, track, within } from './processes.mjs';

const LOAD_SCRIPT = new URL('./load.mjs', import.meta.url).pathname;
let specCount = 0;

/**
 * Runs one load and resolves with its summary (see load.mjs). Bounded: the load process is killed
 * if it outlives its duration (or, for a fixed amount, `maxSeconds`) by a minute.
 */
export async function runLoad(spec, { tmpDir, cpu, maxSeconds = 600 }) {
  const file = join(tmpDir, `load-${++specCount}.json`);
  writeFileSync(file, JSON.stringify(spec));
  const [command, args] = pinnedCommand(cpu, process.execPath, [LOAD_SCRIPT, file]);
  const child = track(spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] }));
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk) => (stdout += chunk));
  child.stderr.on('data', (chunk) => (stderr += chunk));
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const limit = (spec.duration ?? maxSeconds) + 60;
  const outcome = await within(exited, limit * 1000);
  if (outcome === 'timeout') {
    child.kill('SIGKILL');
    throw new Error(`the load generator did not finish within ${limit} s`);
  }
  const line = stdout.trim().split('\n').pop();
  if (outcome !== 0 || !line) throw new Error(`the load generator failed (${outcome}): ${stderr.trim()}`);
  return JSON.parse(line);
}
