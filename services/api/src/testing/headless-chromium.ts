import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureDebianPackages } from '@ferry/local-stack';
import { type BrowserContext, chromium } from 'playwright-core';

/** Test-only: Debian's Chromium, installed when missing (as root), driven by playwright-core. */

const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/**
 * The path of /usr/bin/chromium, installing Debian's package first when it is missing; throws
 * (so browser tests fail, never skip) when it is missing and cannot be installed.
 */
export function ensureChromium(): string {
  const path = ensureDebianPackages(['chromium'], ['chromium']).get('chromium');
  if (path !== '/usr/bin/chromium') {
    throw new Error(`browser tests run Debian's /usr/bin/chromium, but "chromium" on PATH is ${path}`);
  }
  return path;
}

export interface HeadlessChromium {
  context: BrowserContext;
  close(): Promise<void>;
}

/** A fresh profile per launch, so no state leaks between tests or from earlier runs. */
export async function launchChromium(options: {
  httpCredentials?: { username: string; password: string };
}): Promise<HeadlessChromium> {
  const executablePath = ensureChromium();
  const userDataDir = await mkdtemp(join(tmpdir(), 'ferry-chromium-'));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath,
    headless: true,
    args: CHROMIUM_ARGS,
    ...(options.httpCredentials ? { httpCredentials: options.httpCredentials } : {}),
  });
  return {
    context,
    async close() {
      await context.close();
      await rm(userDataDir, { recursive: true, force: true });
    },
  };
}
