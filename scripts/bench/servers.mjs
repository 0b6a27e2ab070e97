// Starting the servers under test: the app from its production build, and the baselines; each its
// own process on the server core, with its own database (and, for PostgreSQL, its own Redis prefix).
import { join } from 'node:path';
import { APP_MAIN, NODE_FLAGS, appEnvironment, baseEnvironment } from './config.mjs';
import { freePort, memoryOf, pinProcess, startProcess, waitReady } from './processes.mjs';

const BASELINE_SCRIPT = new URL('./baselines.mjs', import.meta.url).pathname;

export class Servers {
  all = [];

  constructor({ config, databases, tmpDir }) {
    Object.assign(this, { config, databases, tmpDir });
  }

  /**
   * The app, `node dist/src/main.js`: `outbox` gives the mock SMS provider a file the harness reads,
   * `databaseUrl` shares another app process's database, `cpuProfileDir` turns on --cpu-prof.
   */
  async app(backend, name, { outbox, cpuProfileDir, databaseUrl: shared } = {}) {
    const databaseUrl = shared ?? (await this.databases.create(backend, name));
    const port = await freePort();
    const redis = backend === 'postgres' && this.config.pgRedis;
    const env = {
      ...baseEnvironment(),
      ...appEnvironment({
        port,
        databaseUrl,
        redisUrl: redis ? this.config.redisUrl : undefined,
        redisKeyPrefix: redis ? this.databases.redisPrefix(name) : undefined,
        outbox,
      }),
    };
    const args = [
      ...NODE_FLAGS,
      ...this.config.appNodeArgs,
      ...(cpuProfileDir ? ['--cpu-prof', `--cpu-prof-dir=${cpuProfileDir}`] : []),
      APP_MAIN,
    ];
    return this.start({ name, backend, port, args, env, readyPath: '/health/live', databaseUrl });
  }

  /** A hand-written baseline (see baselines.mjs) on a database migrated by the app's migrations. */
  async baseline(kind, backend, name) {
    const databaseUrl = backend ? await this.databases.create(backend, name) : '';
    if (databaseUrl) await this.databases.migrate(databaseUrl);
    const port = await freePort();
    const env = {
      ...baseEnvironment(),
      BASELINE: kind,
      PORT: String(port),
      DATABASE_URL: databaseUrl,
      BASELINE_SESSION_CHECK: this.config.b3SessionCheck ? '1' : '0',
    };
    return this.start({
      name,
      backend,
      port,
      args: [...NODE_FLAGS, BASELINE_SCRIPT],
      env,
      readyPath: '/health',
      databaseUrl,
    });
  }

  async start({ name, backend, port, args, env, readyPath, databaseUrl }) {
    const proc = startProcess({
      name,
      command: process.execPath,
      args,
      env,
      cwd: this.tmpDir,
      logFile: join(this.tmpDir, `${name}.log`),
    });
    const url = `http://127.0.0.1:${port}`;
    await waitReady(proc, `${url}${readyPath}`);
    if (this.config.pin && !pinProcess(proc.child.pid, this.config.serverCpu)) {
      throw new Error(`could not pin ${name} to CPU ${this.config.serverCpu}; set BENCH_PIN=0 to run unpinned`);
    }
    const server = { name, backend, url, proc, pid: proc.child.pid, databaseUrl, maxRssMb: 0 };
    this.all.push(server);
    return server;
  }

  /** Called every second: the highest RSS seen, for systems without /proc's VmHWM. */
  sample() {
    for (const server of this.all) {
      if (server.proc.exited) continue;
      const { rssMb } = memoryOf(server.pid);
      if (rssMb > server.maxRssMb) server.maxRssMb = rssMb;
    }
  }

  peakRssMb(server) {
    const { peakMb } = memoryOf(server.pid);
    return Number.isFinite(peakMb) ? peakMb : server.maxRssMb;
  }
}
