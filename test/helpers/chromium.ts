import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';

/** Debian's Chromium: a browser tool's own download cannot run on these machines. */
const CHROMIUM = '/usr/bin/chromium';

/**
 * `describe` for a suite that drives Chromium. Outside CI a machine without it skips the suite (and
 * says so); under CI the suite must run, and fails without it.
 */
export function inChromium(suite: string): jest.Describe {
  const runs = existsSync(CHROMIUM) || process.env.CI === 'true';
  if (!runs) {
    process.stderr.write(`${suite}: skipped, ${CHROMIUM} is missing (apt-get install -y chromium; CI installs it)\n`);
  }
  return runs ? describe : describe.skip;
}

export interface Chromium {
  context: BrowserContext;
  /** Closes the browser and removes its profile. */
  close(): Promise<void>;
}

/**
 * Headless Chromium on a fresh profile, with what reaches out to the network switched off (the
 * machines' closed network refuses those connections, many at a time).
 */
export async function launchChromium(
  name: string,
  options: Parameters<typeof chromium.launchPersistentContext>[1] = {},
): Promise<Chromium> {
  const profileDir = mkdtempSync(join(tmpdir(), `${name}-chromium-`));
  const context = await chromium.launchPersistentContext(profileDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--no-first-run',
      '--disable-quic',
      '--disable-sync',
    ],
    ...options,
  });
  return {
    context,
    close: async () => {
      await context.close();
      rmSync(profileDir, { recursive: true, force: true });
    },
  };
}
