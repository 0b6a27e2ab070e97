// Boot time and idle memory, the app against the peer: each boot from spawn to the first 200 on its
// readiness route, on a database that already has its schema, pinned to the server core from the
// start, one process at a time; RSS read a few seconds after it answered, then it is stopped.
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { memoryOf, pinnedCommand, startProcess, stopProcess, waitReady } from './processes';
import type { StartupRun } from './report';
import type { Launch } from './servers';

/** Seconds between the first 200 and the idle RSS reading. */
export const IDLE_AFTER_S = 3;
/** A boot is a few hundred milliseconds: poll finely. */
const POLL_MS = 5;

export interface Bootable {
  server: StartupRun['server'];
  /** A fresh launch on the same, already migrated, database. */
  launch: () => Promise<Launch>;
}

async function boot(launch: Launch, { cpu, tmpDir }: { cpu: string | undefined; tmpDir: string }) {
  const [command, args] = pinnedCommand(cpu, process.execPath, launch.args);
  const begin = performance.now();
  const proc = startProcess({
    name: launch.name,
    command,
    args,
    env: launch.env,
    cwd: tmpDir,
    logFile: join(tmpDir, `${launch.name}.log`),
  });
  try {
    await waitReady(proc, `http://127.0.0.1:${launch.port}${launch.readyPath}`, { intervalMs: POLL_MS });
    const readyMs = performance.now() - begin;
    await sleep(IDLE_AFTER_S * 1000);
    return { readyMs, idleRssMb: memoryOf(proc.child.pid as number).rssMb };
  } finally {
    await stopProcess(proc);
  }
}

/** `runs` boots of each, alternating, so a slow spell of the machine does not land on one side. */
export async function measureStartup(
  servers: Bootable[],
  { runs, cpu, tmpDir, log }: { runs: number; cpu: string | undefined; tmpDir: string; log: (line: string) => void },
): Promise<StartupRun[]> {
  const results: StartupRun[] = servers.map(({ server }) => ({ server, readyMs: [], idleRssMb: [] }));
  for (let run = 0; run < runs; run++) {
    const order = servers.map((server, i) => ({ server, result: results[i] }));
    for (const { server, result } of run % 2 ? order.reverse() : order) {
      const { readyMs, idleRssMb } = await boot(await server.launch(), { cpu, tmpDir });
      result.readyMs.push(readyMs);
      result.idleRssMb.push(idleRssMb);
      log(
        `  boot ${run + 1}/${runs} ${server.server}: ${readyMs.toFixed(0)} ms to 200, ${idleRssMb.toFixed(0)} MB idle`,
      );
    }
  }
  return results;
}
