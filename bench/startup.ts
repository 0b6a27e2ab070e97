// Boot time and idle memory, the app against the peer: each boot from spawn to the first 200 on its
// readiness route, on a database that already has its schema, pinned to the server core from the
// start, one process at a time; RSS read a few seconds after it answered, then it is stopped.
// Then one more of each is left idle and watched, because V8 gives back the young generation that
// boot grew only when its memory reducer runs, tens of seconds later.
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { memoryOf, pinnedCommand, recordRss, startProcess, stopProcess, waitReady } from './processes';
import { lowestReading, type RssSample, type StartupRun } from './report';
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

interface Placement {
  cpu: string | undefined;
  tmpDir: string;
}

/** Spawns `launch`, waits for its first 200, runs `whileUp` with its pid and the boot's ms, stops it. */
async function booted<T>(
  launch: Launch,
  { cpu, tmpDir }: Placement,
  whileUp: (pid: number, readyMs: number) => Promise<T>,
): Promise<T> {
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
    return await whileUp(proc.child.pid as number, performance.now() - begin);
  } finally {
    await stopProcess(proc);
  }
}

function boot(launch: Launch, placement: Placement) {
  return booted(launch, placement, async (pid, readyMs) => {
    await sleep(IDLE_AFTER_S * 1000);
    return { readyMs, idleRssMb: memoryOf(pid).rssMb };
  });
}

/** RSS once a second for `seconds` after the first 200, the server left idle. */
function watchIdle(launch: Launch, placement: Placement, seconds: number): Promise<RssSample[]> {
  return booted(launch, placement, async (pid) => {
    const { samples, stop } = recordRss(pid);
    await sleep(seconds * 1000 + 100);
    stop();
    return samples;
  });
}

/**
 * `runs` boots of each, alternating, so a slow spell of the machine does not land on one side;
 * then, when `idleWatchS`, one more of each at once, left idle and watched for that long.
 */
export async function measureStartup(
  servers: Bootable[],
  { runs, idleWatchS, cpu, tmpDir, log }: Placement & { runs: number; idleWatchS: number; log: (line: string) => void },
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
  if (idleWatchS) {
    log(`  watching ${servers.map((s) => s.server).join(' and ')} idle for ${idleWatchS} s after boot`);
    const watched = await Promise.all(
      servers.map(async (server) => watchIdle(await server.launch(), { cpu, tmpDir }, idleWatchS)),
    );
    watched.forEach((samples, i) => {
      const lowest = lowestReading(samples);
      results[i].idleWatch = { watchedS: idleWatchS, lowest, samples };
      log(`  ${servers[i].server} idle: lowest ${lowest.rssMb.toFixed(0)} MB, first at ${lowest.atS.toFixed(0)} s`);
    });
  }
  return results;
}
