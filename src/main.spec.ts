import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

interface Boot {
  code: number | null;
  lines: string[];
}

/**
 * Runs src/main.ts as its own process, compiled on the fly by SWC with jest.config.js's options, so
 * the spec needs no prior build. The empty working directory keeps a developer's .env out.
 */
function boot(env: Record<string, string>): Promise<Boot> {
  const hook = `
    const { readFileSync } = require('node:fs');
    const { transformSync } = require(${JSON.stringify(require.resolve('@swc/core'))});
    const [[, options]] = Object.values(require(${JSON.stringify(join(__dirname, '../jest.config.js'))}).transform);
    require.extensions['.ts'] = (module, filename) =>
      module._compile(transformSync(readFileSync(filename, 'utf8'), { ...options, filename }).code, filename);
    require(${JSON.stringify(join(__dirname, 'main.ts'))});
  `;
  const cwd = mkdtempSync(join(tmpdir(), 'otp-auth-boot-'));
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--disable-warning=ExperimentalWarning', '-e', hook],
      { cwd, env: { PATH: process.env.PATH ?? '', ...env }, timeout: 30_000 },
      (error, stdout, stderr) => {
        rmSync(cwd, { recursive: true, force: true });
        const lines = `${stdout}\n${stderr}`.split('\n').filter((line) => line.trim());
        resolve({ code: error ? ((error.code as number | undefined) ?? null) : 0, lines });
      },
    );
  });
}

function jsonLines(lines: string[]): Record<string, unknown>[] {
  return lines.flatMap((line) => {
    try {
      return [JSON.parse(line) as Record<string, unknown>];
    } catch {
      return [];
    }
  });
}

describe('boot with bad configuration', () => {
  it('ends with exit code 1 and one JSON fatal line naming every bad variable, no stack trace', async () => {
    const { code, lines } = await boot({ PORT: 'abc', OTP_TTL: 'bogus' });

    expect(code).toBe(1);
    expect(lines).toHaveLength(1);
    const [line] = jsonLines(lines);
    expect(line).toMatchObject({ level: 60, context: 'Bootstrap' });
    expect(line.msg).toContain('PORT: expected an integer from 0 to 65535, got "abc"');
    expect(line.msg).toContain('OTP_TTL: expected a positive duration like 90s, 5m, 24h or 7d, got "bogus"');
    expect(lines.join('\n')).not.toMatch(/\n\s+at |ConfigError:|EnvError:/);
  }, 40_000);

  it('still logs the fatal line as JSON when LOG_LEVEL itself is bad, alongside a production SMS refusal', async () => {
    const { code, lines } = await boot({
      NODE_ENV: 'production',
      LOG_LEVEL: 'chatty',
      JWT_SECRET: 'j'.repeat(32),
      OTP_SECRET: 'o'.repeat(32),
      SMS_PROVIDER: 'twilio',
    });

    expect(code).toBe(1);
    expect(lines).toHaveLength(1);
    const [line] = jsonLines(lines);
    expect(line.level).toBe(60);
    for (const variable of ['LOG_LEVEL', 'TWILIO_ACCOUNT_SID', 'TWILIO_AUTH_TOKEN', 'TWILIO_FROM']) {
      expect(line.msg).toContain(`${variable}: `);
    }
  }, 40_000);
});
