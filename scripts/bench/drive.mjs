// Parent side of the load generator: one long-lived autocannon process, pinned away from the
// servers, that runs one spec at a time (a process per run would cost a Node start-up each).
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pinnedCommand, track, within } from './processes.mjs';

const LOAD_SCRIPT = new URL('./load.mjs', import.meta.url).pathname;

export class LoadGenerator {
  child;
  pending = new Map();
  nextId = 0;

  constructor({ tmpDir, cpu }) {
    Object.assign(this, { tmpDir, cpu });
  }

  start() {
    const [command, args] = pinnedCommand(this.cpu, process.execPath, [LOAD_SCRIPT]);
    this.child = track(spawn(command, args, { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }));
    this.child.on('message', ({ id, result, error }) => {
      const waiter = this.pending.get(id);
      this.pending.delete(id);
      if (error) waiter?.reject(new Error(`the load generator failed: ${error}`));
      else waiter?.resolve(result);
    });
    this.child.once('exit', (code) => {
      for (const waiter of this.pending.values()) waiter.reject(new Error(`the load generator exited (${code})`));
      this.pending.clear();
      this.child = undefined;
    });
  }

  /**
   * Runs one load and resolves with its summary (see load.mjs). Bounded: the generator is killed
   * if a run outlives its duration (or, for a fixed amount, `maxSeconds`) by a minute.
   */
  async run(spec, maxSeconds = 600) {
    if (!this.child) this.start();
    const id = ++this.nextId;
    const done = new Promise((resolve, reject) => this.pending.set(id, { resolve, reject }));
    this.child.send({ id, spec });
    const limit = (spec.duration ?? maxSeconds) + 60;
    const outcome = await within(done, limit * 1000);
    if (outcome === 'timeout') {
      this.child?.kill('SIGKILL');
      throw new Error(`the load generator did not finish within ${limit} s`);
    }
    return outcome;
  }

  /** A spec's pairs go through a file rather than the IPC channel. */
  writePairs(name, pairs) {
    const file = join(this.tmpDir, `${name}.pairs.json`);
    writeFileSync(file, JSON.stringify(pairs));
    return file;
  }

  async close() {
    const child = this.child;
    if (!child) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.disconnect();
    if ((await within(exited, 5_000)) === 'timeout') child.kill('SIGKILL');
  }
}
