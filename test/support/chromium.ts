import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { onCleanup } from './cleanup.js';

/** Debian's Chromium (package chromium), which `npm test` installs where it is missing (scripts/test-packages.js). */
export const CHROMIUM = '/usr/bin/chromium';

/**
 * Debian's Chromium, headless, with a fresh profile, and `switches` added; closed when the test file ends.
 * Without the switches below it tries to reach Google's services, which this machine's closed network
 * refuses.
 */
export async function launchChromium(switches: readonly string[] = []): Promise<BrowserContext> {
  const profile = mkdtempSync(join(tmpdir(), 'tidings-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      ...switches,
    ],
    viewport: { width: 960, height: 720 },
  });
  context.setDefaultTimeout(10_000);
  onCleanup(() => rmSync(profile, { recursive: true, force: true }));
  onCleanup(() => context.close());
  return context;
}

/** Collects what the page reports as broken: script errors, console errors (CSP violations are). */
export function watchForErrors(page: Page, errors: string[]): void {
  page.on('pageerror', (error) => errors.push(`${page.url()}: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(`${page.url()}: ${message.text()}`);
  });
}
