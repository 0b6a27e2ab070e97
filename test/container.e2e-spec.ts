import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, posix, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { ROUTES } from './helpers/api-client';
import { dockerignore, envPairs, execForm, parseDockerfile, type Stage } from './helpers/dockerfile';
import { closedPort } from './helpers/loopback';
import { WebhookReceiver } from './helpers/webhook-receiver';

/**
 * Issue 20: the image without Docker. The Dockerfile's build stage is replayed step by step on a
 * copy of the build context (the working tree less .dockerignore): its COPYs, its ENVs and its RUN
 * commands (npm ci, the build, the prune), all but the OS packages, which this machine already
 * has. The runtime stage's COPY --from lines then assemble the image's /app, and its CMD boots
 * there in production mode with production dependencies only, so a run-time import of a dev
 * dependency, a file the image forgets or a .dockerignore line too many fails here. npm ci needs
 * the registry and compiles better-sqlite3 when no prebuilt binary can be fetched: minutes.
 * SKIP_CONTAINER_TEST=1 skips it outside CI; under CI=true it always runs.
 */
const ROOT = resolve(__dirname, '..');
const BUILD_TIMEOUT_MS = 20 * 60_000;
/** As documented in the Dockerfile and run by compose.yaml's migrate service. */
const MIGRATE = ['node', 'node_modules/typeorm/cli.js', 'migration:run', '-d', 'dist/src/database/data-source.js'];

const skip = process.env.SKIP_CONTAINER_TEST === '1' && process.env.CI !== 'true';
const suite = skip ? describe.skip : describe;

const secret = () => randomBytes(48).toString('base64');

/** One stage's filesystem as a directory: `/app` is `<root>/app`. */
class StageFs {
  workdir = '/';
  readonly env: Record<string, string> = {};

  constructor(readonly root: string) {
    mkdirSync(root, { recursive: true });
  }

  path(inImage: string): string {
    return join(this.root, posix.resolve(this.workdir, inImage));
  }

  get cwd(): string {
    return this.path('.');
  }
}

/** Docker's COPY: a directory's contents go into the destination, a file into it when it ends with `/`. */
function copy(from: (source: string) => string, target: StageFs, args: string): void {
  const parts = args.startsWith('[') ? execForm(args) : args.split(/\s+/);
  const destination = parts.pop()!;
  const intoDirectory = destination.endsWith('/') || parts.length > 1;
  for (const source of parts) {
    const path = from(source);
    if (!existsSync(path)) throw new Error(`COPY ${source}: not in the build context or stage`);
    const to = target.path(destination);
    if (statSync(path).isDirectory()) cpSync(path, to, { recursive: true });
    else cpSync(path, intoDirectory ? join(to, basename(path)) : to);
  }
}

/** The environment a RUN sees: this machine's, less what the test runner and npm put there. */
function buildEnv(stage: StageFs): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    // npm_config_local_prefix (set by `npm test`) would make the build's npm install into this repository;
    // npm_config_nodedir is kept: it points node-gyp at the running Node's headers.
    if (/^npm_/.test(name) && name !== 'npm_config_nodedir') continue;
    if (['NODE_ENV', 'INIT_CWD', 'NODE'].includes(name)) continue;
    env[name] = value;
  }
  // npm and node-gyp run on the Node that runs this test (the image's major in CI's Node 24 run).
  env.PATH = `${dirname(process.execPath)}:${process.env.PATH ?? ''}`;
  return { ...env, ...stage.env };
}

async function run(command: string, stage: StageFs, log: string[]): Promise<void> {
  const started = Date.now();
  try {
    await promisify(execFile)('/bin/sh', ['-c', command], {
      cwd: stage.cwd,
      env: buildEnv(stage),
      maxBuffer: 64 * 1024 * 1024,
    });
  } catch (error) {
    const { stdout = '', stderr = '' } = error as { stdout?: string; stderr?: string };
    const tail = `${stdout}\n${stderr}`.trim().split('\n').slice(-40).join('\n');
    throw new Error(`RUN ${command} failed:\n${tail}`, { cause: error });
  }
  log.push(`RUN ${command}: ${((Date.now() - started) / 1000).toFixed(0)} s`);
}

/** The build context: what `docker build .` would send from this working tree. */
function buildContext(into: string): void {
  const ignored = dockerignore(readFileSync(join(ROOT, '.dockerignore'), 'utf8'));
  const listed = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], {
    cwd: ROOT,
    encoding: 'utf8',
  });
  for (const file of listed.split('\0').filter(Boolean)) {
    const path = join(ROOT, file);
    if (ignored(file) || !existsSync(path) || !statSync(path).isFile()) continue;
    mkdirSync(dirname(join(into, file)), { recursive: true });
    cpSync(path, join(into, file));
  }
}

interface Image {
  app: string;
  env: Record<string, string>;
  user?: string;
  exposed: string[];
  cmd: string[];
  healthcheck: string[];
  stopSignal?: string;
}

/** Replays the build stage, then assembles the runtime stage from its COPY --from lines. */
async function buildImage(work: string, log: string[]): Promise<Image> {
  const stages = parseDockerfile(readFileSync(join(ROOT, 'Dockerfile'), 'utf8'));
  const runtime = stages[stages.length - 1];
  const froms = new Set(runtime.instructions.map((i) => i.flags.from).filter(Boolean));
  expect(froms.size).toBe(1);
  const builder: Stage = stages.find((stage) => stage.name === [...froms][0])!;
  expect(builder).toBeDefined();

  const context = join(work, 'context');
  buildContext(context);
  const build = new StageFs(join(work, 'build'));
  for (const { keyword, args } of builder.instructions) {
    if (keyword === 'WORKDIR') {
      build.workdir = posix.resolve(build.workdir, args);
      mkdirSync(build.cwd, { recursive: true });
    } else if (keyword === 'ENV') Object.assign(build.env, envPairs(args));
    else if (keyword === 'COPY') copy((source) => join(context, source), build, args);
    else if (keyword === 'RUN' && /^apt-get\s/.test(args)) log.push(`RUN ${args.slice(0, 60)}…: skipped (OS packages)`);
    else if (keyword === 'RUN') await run(args, build, log);
    else throw new Error(`build stage: ${keyword} is not replayed by this test; teach it`);
  }

  const image = new StageFs(join(work, 'image'));
  const result: Omit<Image, 'app'> = { env: image.env, exposed: [], cmd: [], healthcheck: [] };
  for (const { keyword, args, flags } of runtime.instructions) {
    if (keyword === 'WORKDIR') {
      image.workdir = posix.resolve(image.workdir, args);
      mkdirSync(image.cwd, { recursive: true });
    } else if (keyword === 'ENV') Object.assign(image.env, envPairs(args));
    else if (keyword === 'COPY' && flags.from) copy((source) => join(build.root, source), image, args);
    else if (keyword === 'USER') result.user = args;
    else if (keyword === 'EXPOSE') result.exposed.push(...args.split(/\s+/));
    else if (keyword === 'CMD') result.cmd = execForm(args);
    else if (keyword === 'HEALTHCHECK') result.healthcheck = execForm(args.replace(/^CMD\s+/, ''));
    else if (keyword === 'STOPSIGNAL') result.stopSignal = args;
    else throw new Error(`runtime stage: ${keyword} is not replayed by this test; teach it`);
  }
  return { app: image.cwd, ...result };
}

/** Runs `argv` as the image would (`node` is this test's Node), in the image's /app. */
function start(image: Image, argv: string[], env: Record<string, string>): ChildProcess {
  expect(argv[0]).toBe('node');
  return spawn(process.execPath, argv.slice(1), {
    cwd: image.app,
    env: { PATH: process.env.PATH ?? '', ...image.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

function finished(child: ChildProcess, output: string[]): Promise<number | NodeJS.Signals | null> {
  child.stdout!.on('data', (chunk: Buffer) => output.push(chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => output.push(chunk.toString()));
  return new Promise((done) => child.once('exit', (code, signal) => done(code ?? signal)));
}

suite('the Dockerfile, built and run without Docker', () => {
  const log: string[] = [];
  let work: string;
  let databaseUrl: string;
  let image: Image;
  let receiver: WebhookReceiver;
  const webhookSecret = secret();

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'otp-auth-image-'));
    databaseUrl = `sqlite:${join(work, 'data', 'otp-auth.sqlite')}`;
    const started = Date.now();
    image = await buildImage(work, log);
    const size = execFileSync('du', ['-sm', image.app], { encoding: 'utf8' }).split('\t')[0];
    log.push(
      `/app (${size} MB) assembled in ${((Date.now() - started) / 1000).toFixed(0)} s on Node ${process.version}`,
    );
    process.stderr.write(`container e2e:\n  ${log.join('\n  ')}\n`);
    receiver = await WebhookReceiver.start(webhookSecret);
  }, BUILD_TIMEOUT_MS);

  afterAll(async () => {
    await receiver?.close();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('runs as a non-root user with production settings, as `npm run start:prod` does', () => {
    const manifest = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
      scripts: Record<string, string>;
    };
    expect(image.user).toBeDefined();
    expect(image.user).not.toMatch(/^(root|0)(:|$)/);
    expect(image.env.NODE_ENV).toBe('production');
    expect(image.exposed).toContain('3000');
    expect(image.stopSignal).toBe('SIGTERM');
    expect(image.cmd.join(' ')).toBe(manifest.scripts['start:prod']);
  });

  it('ships production dependencies only', () => {
    const installed = (name: string) => existsSync(join(image.app, 'node_modules', name, 'package.json'));
    expect(['typeorm', 'better-sqlite3', 'pg'].filter((name) => !installed(name))).toEqual([]);
    // typescript is not in this list: @nestjs/swagger's peer dependency, it belongs to the production tree.
    expect(['@nestjs/cli', '@nestjs/testing', 'jest', 'eslint', 'supertest'].filter(installed)).toEqual([]);
    // `npx typeorm …` (docs/deployment.md) resolves the CLI from here without the registry.
    expect(existsSync(join(image.app, 'node_modules', '.bin', 'typeorm'))).toBe(true);
  });

  it('migrates an empty database with the documented one-shot command', async () => {
    mkdirSync(join(work, 'data'), { recursive: true });
    const output: string[] = [];
    const exit = await finished(start(image, MIGRATE, { DATABASE_URL: databaseUrl }), output);
    expect({ exit, output: output.join('') }).toMatchObject({ exit: 0 });
    expect(output.join('')).toMatch(/Migration \S+ has been +executed successfully/);
  }, 60_000);

  it('boots with CMD in production mode, answers, delivers a code through the webhook and drains on SIGTERM', async () => {
    const port = String(await closedPort());
    const output: string[] = [];
    const app = start(image, image.cmd, {
      HOST: '127.0.0.1',
      PORT: port,
      DATABASE_URL: databaseUrl,
      DATABASE_MIGRATIONS_RUN: 'false',
      JWT_SECRET: secret(),
      OTP_SECRET: secret(),
      MFA_ENCRYPTION_KEY: secret(),
      METRICS_TOKEN: randomBytes(32).toString('hex'),
      SMS_PROVIDER: 'webhook',
      SMS_WEBHOOK_URL: receiver.url,
      SMS_WEBHOOK_SECRET: webhookSecret,
    });
    const exited = finished(app, output);
    const url = `http://127.0.0.1:${port}`;
    const healthcheck = () => finished(start(image, image.healthcheck, { PORT: port }), []);
    try {
      let ready: number | undefined;
      for (const deadline = Date.now() + 30_000; ready !== 200 && Date.now() < deadline; await sleep(100)) {
        ready = await fetch(url + ROUTES.healthReady).then(
          (res) => res.status,
          () => undefined,
        );
      }
      expect({ ready, output: ready === 200 ? '' : output.join('') }).toEqual({ ready: 200, output: '' });
      await expect(healthcheck()).resolves.toBe(0);

      const phone = '+12015550123';
      const res = await fetch(url + ROUTES.sendOtp, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ phone_number: phone }),
      });
      expect({ status: res.status, body: await res.text() }).toMatchObject({ status: 200 });
      expect(receiver.received.map(({ payload, signatureValid }) => ({ to: payload.to, signatureValid }))).toEqual([
        { to: phone, signatureValid: true },
      ]);
      // The demo page's files reach dist/ through nest-cli.json's assets, and so the image.
      const page = await fetch(`${url}/demo/`);
      expect({ status: page.status, type: page.headers.get('content-type') }).toEqual({
        status: 200,
        type: 'text/html; charset=utf-8',
      });
    } finally {
      app.kill(image.stopSignal as NodeJS.Signals);
    }
    await expect(exited).resolves.toBe(0);
    await expect(healthcheck()).resolves.toBe(1);
  }, 60_000);
});
