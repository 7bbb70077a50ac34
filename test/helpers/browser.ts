// Headless Chromium (Debian's package) driven by playwright-core, for the console's browser tests.
// Its own browser download does not work here: the system's /usr/bin/chromium is used, with a fresh
// profile per launch. scripts/setup-chromium.sh installs it.
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext } from 'playwright-core';

export const CHROMIUM = process.env.CHROMIUM_BIN ?? '/usr/bin/chromium';
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Where the browser tests keep their screenshots (git-ignored). */
export const SCREENSHOTS = join(__dirname, '..', '..', 'test-artifacts', 'console');

export interface Chromium {
  context: BrowserContext;
  browser: BrowserContext;
  close(): Promise<void>;
}

/** A persistent context on a fresh user-data folder (removed on close). */
export async function launchChromium(
  viewport = { width: 1280, height: 900 },
): Promise<{ context: BrowserContext; close(): Promise<void> }> {
  if (!existsSync(CHROMIUM)) throw new Error(`no Chromium at ${CHROMIUM}: run \`bash scripts/setup.sh\` (it installs Debian's chromium)`);
  const profile = mkdtempSync(join(tmpdir(), 'rw-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport,
  });
  mkdirSync(SCREENSHOTS, { recursive: true });
  return {
    context,
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

export type { Browser };
