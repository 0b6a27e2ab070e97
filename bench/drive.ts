// Parent side of the load generator: one long-lived autocannon process, pinned away from the
// servers, that runs one spec at a time (a process per run would cost a Node start-up each).
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { LoadReply, LoadRequest, LoadResult, LoadSpec } from './load';
import { pinnedCommand, track, within } from './processes';
import type { CodePair } from './seed';

const LOAD_SCRIPT = join(__dirname, 'load.js');

interface Waiter {
  resolve: (result: LoadResult) => void;
  reject: (error: Error) => void;
}

export class LoadGenerator {
  private child: ChildProcess | undefined;
  private readonly pending = new Map<number, Waiter>();
  private nextId = 0;

  constructor(private readonly options: { tmpDir: string; cpu: string | undefined }) {}

  private start(): ChildProcess {
    const [command, args] = pinnedCommand(this.options.cpu, process.execPath, [LOAD_SCRIPT]);
    const child = track(spawn(command, args, { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }));
    child.on('message', (reply: LoadReply) => {
      const waiter = this.pending.get(reply.id);
      this.pending.delete(reply.id);
      if (reply.error !== undefined) waiter?.reject(new Error(`the load generator failed: ${reply.error}`));
      else waiter?.resolve(reply.result);
    });
    child.once('exit', (code) => {
      for (const waiter of this.pending.values()) waiter.reject(new Error(`the load generator exited (${code})`));
      this.pending.clear();
      this.child = undefined;
    });
    this.child = child;
    return child;
  }

  /**
   * Runs one load and resolves with its summary (see load.ts). Bounded: the generator is killed
   * if a run outlives its duration (or, for a fixed amount, `maxSeconds`) by a minute.
   */
  async run(spec: LoadSpec, maxSeconds = 600): Promise<LoadResult> {
    const child = this.child ?? this.start();
    const id = ++this.nextId;
    const done = new Promise<LoadResult>((resolve, reject) => this.pending.set(id, { resolve, reject }));
    child.send({ id, spec } satisfies LoadRequest);
    const limit = (spec.duration ?? maxSeconds) + 60;
    const outcome = await within(done, limit * 1000);
    if (outcome === 'timeout') {
      this.child?.kill('SIGKILL');
      throw new Error(`the load generator did not finish within ${limit} s`);
    }
    return outcome;
  }

  /** A spec's pairs go through a file rather than the IPC channel. */
  writePairs(name: string, pairs: CodePair[]): string {
    const file = join(this.options.tmpDir, `${name}.pairs.json`);
    writeFileSync(file, JSON.stringify(pairs));
    return file;
  }

  async close(): Promise<void> {
    const child = this.child;
    if (!child) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.disconnect();
    if ((await within(exited, 5_000)) === 'timeout') child.kill('SIGKILL');
  }
}
