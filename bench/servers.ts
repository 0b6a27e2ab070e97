// Starting the servers under test: the app from its production build, the baselines and the
// better-auth peer; each its own process on the server core, with its own database (and, for
// PostgreSQL, its own Redis prefix). A Launch says how to start one; start() starts it for the load.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { BaselineKind } from './baselines';
import { NODE_FLAGS, appEnvironment, baseEnvironment, type Backend, type BenchConfig, type Limits } from './config';
import type { BenchDatabases } from './databases';
import { PEER_MIGRATE, PEER_READY_PATH, PEER_SERVER, peerEnvironment } from './peer';
import { freePort, memoryOf, pinProcess, startProcess, waitReady, type Proc } from './processes';

const BASELINE_SCRIPT = join(__dirname, 'baselines.js');

export interface Server {
  name: string;
  /** null for B1, which has no database. */
  backend: Backend | null;
  url: string;
  proc: Proc;
  pid: number;
  databaseUrl: string;
  maxRssMb: number;
}

/** One server process to start: `node ARGS` in ENV, ready when `readyPath` answers 200. */
export interface Launch {
  name: string;
  backend: Backend | null;
  port: number;
  args: string[];
  env: Record<string, string>;
  readyPath: string;
  databaseUrl: string;
}

export interface AppOptions {
  /** A file the mock SMS provider (or the peer's sendOTP) writes the codes to, for the harness to read. */
  outbox?: string;
  /** Turns on --cpu-prof into this directory (the app only). */
  cpuProfileDir?: string;
  /** Another process's database, instead of a new one. */
  databaseUrl?: string;
  /** Which of the app's limits keep their defaults (the app only; see appEnvironment). */
  limits?: Limits;
  /** The app's API docs (on by default; see appEnvironment). */
  apiDocs?: boolean;
}

export class Servers {
  readonly all: Server[] = [];

  constructor(private readonly options: { config: BenchConfig; databases: BenchDatabases; tmpDir: string }) {}

  /** The app, `node dist/src/main.js`, configured by appEnvironment(); it migrates its own database. */
  async appLaunch(
    backend: Backend,
    name: string,
    { outbox, cpuProfileDir, databaseUrl: shared, limits, apiDocs }: AppOptions = {},
  ): Promise<Launch> {
    const { config, databases } = this.options;
    const databaseUrl = shared ?? (await databases.create(backend, name));
    const port = await freePort();
    const redis = backend === 'postgres' && config.pgRedis;
    const env = {
      ...baseEnvironment(),
      ...appEnvironment({
        port,
        databaseUrl,
        redisUrl: redis ? config.redisUrl : undefined,
        redisKeyPrefix: redis ? databases.redisPrefix() : undefined,
        outbox,
        limits,
        apiDocs,
      }),
    };
    const args = [
      ...NODE_FLAGS,
      ...config.appNodeArgs,
      ...(cpuProfileDir ? ['--cpu-prof', `--cpu-prof-dir=${cpuProfileDir}`] : []),
      config.appMain,
    ];
    return { name, backend, port, args, env, readyPath: '/health/ready', databaseUrl };
  }

  async app(backend: Backend, name: string, options: AppOptions = {}): Promise<Server> {
    return this.start(await this.appLaunch(backend, name, options));
  }

  /**
   * The peer (bench/peer/server.mjs) on SQLite; a new database gets better-auth's schema first,
   * from its own migration planner (bench/peer/migrate.mjs).
   */
  async peerLaunch(
    name: string,
    { outbox, databaseUrl: shared }: Pick<AppOptions, 'outbox' | 'databaseUrl'> = {},
  ): Promise<Launch> {
    const databaseUrl = shared ?? (await this.options.databases.create('sqlite', name));
    const port = await freePort();
    const env = {
      ...baseEnvironment(),
      ...peerEnvironment({ port, file: databaseUrl.slice('sqlite:'.length), outbox }),
    };
    if (!shared) {
      await promisify(execFile)(process.execPath, [PEER_MIGRATE], { env, cwd: this.options.tmpDir }).catch(
        (error: unknown) => {
          throw new Error(`${name}: migrating the peer's database failed: ${String(error)}`, { cause: error });
        },
      );
    }
    const args = [...NODE_FLAGS, PEER_SERVER];
    return { name, backend: 'sqlite', port, args, env, readyPath: PEER_READY_PATH, databaseUrl };
  }

  async peer(name: string, options: Pick<AppOptions, 'outbox' | 'databaseUrl'> = {}): Promise<Server> {
    return this.start(await this.peerLaunch(name, options));
  }

  /** A hand-written baseline (see baselines.ts) on a database migrated by the app's migrations. */
  async baseline(kind: BaselineKind, backend: Backend | null, name: string): Promise<Server> {
    const databaseUrl = backend ? await this.options.databases.create(backend, name) : '';
    if (databaseUrl) {
      await this.options.databases.migrate(databaseUrl).catch((error: unknown) => {
        throw new Error(`${name}: migrating its database failed: ${String(error)}`, { cause: error });
      });
    }
    const port = await freePort();
    const env = {
      ...baseEnvironment(),
      BASELINE: kind,
      PORT: String(port),
      DATABASE_URL: databaseUrl,
      BASELINE_SESSION_CHECK: this.options.config.b3SessionCheck ? '1' : '0',
    };
    const args = [...NODE_FLAGS, BASELINE_SCRIPT];
    return this.start({ name, backend, port, args, env, readyPath: '/health', databaseUrl });
  }

  /** Boots on every core (boot is not measured here), then is moved with all its threads to the server core. */
  async start(launch: Launch): Promise<Server> {
    const { name, backend, port, args, env, readyPath, databaseUrl } = launch;
    const { config, tmpDir } = this.options;
    const proc = startProcess({
      name,
      command: process.execPath,
      args,
      env,
      cwd: tmpDir,
      logFile: join(tmpDir, `${name}.log`),
    });
    const url = `http://127.0.0.1:${port}`;
    await waitReady(proc, `${url}${readyPath}`);
    const pid = proc.child.pid as number;
    if (config.pin && !pinProcess(pid, config.serverCpu)) {
      throw new Error(`could not pin ${name} to CPU ${config.serverCpu}; set BENCH_PIN=0 to run unpinned`);
    }
    const server: Server = { name, backend, url, proc, pid, databaseUrl, maxRssMb: 0 };
    this.all.push(server);
    return server;
  }

  /** Called every second: the highest RSS seen, for systems without /proc's VmHWM. */
  sample(): void {
    for (const server of this.all) {
      if (server.proc.exited) continue;
      const { rssMb } = memoryOf(server.pid);
      if (rssMb > server.maxRssMb) server.maxRssMb = rssMb;
    }
  }

  peakRssMb(server: Server): number {
    const { peakMb } = memoryOf(server.pid);
    return Number.isFinite(peakMb) ? peakMb : server.maxRssMb;
  }
}
