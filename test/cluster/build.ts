import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { promisify } from 'node:util';

const ROOT = resolve(__dirname, '../..');
const SOURCES = ['src', 'migrations'];

export interface BuiltApp {
  /** The `main.js` to run with `node`. */
  main: string;
  /** How it was obtained, for the test log. */
  origin: 'dist' | 'tsc';
  remove(): void;
}

function* typescriptFiles(dir: string): Generator<string> {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* typescriptFiles(path);
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.spec.ts')) yield path;
  }
}

/** Whether every source file has a compiled twin in dist/ at least as new as itself. */
function distIsFresh(): boolean {
  return SOURCES.every((source) =>
    [...typescriptFiles(join(ROOT, source))].every((file) => {
      const built = join(ROOT, 'dist', relative(ROOT, file)).replace(/\.ts$/, '.js');
      return existsSync(built) && statSync(built).mtimeMs >= statSync(file).mtimeMs;
    }),
  );
}

/**
 * The app as production runs it: compiled JavaScript started with `node`. A copy of dist/ when
 * it is newer than every source (CI builds before testing), otherwise a fresh `tsc` build, so a
 * clone that never ran `npm run build` works too. The copy sits under node_modules/.cache so the
 * app resolves its dependencies as from dist/, and a concurrent `nest build` (which empties
 * dist/) cannot pull files from under the running processes.
 */
export async function buildApp(): Promise<BuiltApp> {
  const out = join(ROOT, 'node_modules', '.cache', 'otp-auth-cluster-e2e', randomBytes(6).toString('hex'));
  mkdirSync(out, { recursive: true });
  const remove = () => rmSync(out, { recursive: true, force: true });
  try {
    let origin: BuiltApp['origin'] = 'dist';
    if (distIsFresh()) {
      for (const source of SOURCES) cpSync(join(ROOT, 'dist', source), join(out, source), { recursive: true });
    } else {
      origin = 'tsc';
      const tsc = require.resolve('typescript/bin/tsc');
      await promisify(execFile)(
        process.execPath,
        [tsc, '-p', 'tsconfig.build.json', '--outDir', out, '--incremental', 'false', '--sourceMap', 'false'],
        { cwd: ROOT, maxBuffer: 16 * 1024 * 1024 },
      ).catch((error: { stdout?: string; message: string }) => {
        throw new Error(`tsc failed: ${error.stdout || error.message}`);
      });
      // tsc emits only JavaScript; the files nest build copies beside it (nest-cli.json assets) come too.
      for (const folder of assetFolders()) {
        cpSync(join(ROOT, 'src', folder), join(out, 'src', folder), { recursive: true });
      }
    }
    return { main: join(out, 'src', 'main.js'), origin, remove };
  } catch (error) {
    remove();
    throw error;
  }
}

/** The folders under src/ that nest-cli.json's `assets` globs copy (the part of each before its first wildcard). */
function assetFolders(): string[] {
  const { compilerOptions } = JSON.parse(readFileSync(join(ROOT, 'nest-cli.json'), 'utf8')) as {
    compilerOptions?: { assets?: (string | { include: string })[] };
  };
  return (compilerOptions?.assets ?? []).map((asset) => {
    const glob = typeof asset === 'string' ? asset : asset.include;
    return glob.split(/[*?{[]/)[0].replace(/\/+$/, '');
  });
}
