import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

/** A file of the page: src/inbox/page/ beside the sources, dist/inbox/page/ beside the build. */
export const pageFile = (name: string): string => fileURLToPath(new URL(`./page/${name}`, import.meta.url));

/** How the page's script and the client library are bundled for browsers: by the build, or below. */
export const PAGE_BUNDLE_OPTIONS = {
  bundle: true,
  format: 'esm',
  platform: 'browser',
  target: 'es2022',
  minify: true,
  legalComments: 'none',
  logLevel: 'silent',
} as const;

/**
 * The page's script. The build bundles it into page/inbox.js beside the built gateway (scripts/build.js),
 * so production needs no bundler. Run from the sources (Vitest, tsx) there is no such file: it is bundled
 * now, with esbuild, a development dependency.
 * @throws Error when the script cannot be read or bundled.
 */
export async function loadPageScript(): Promise<string> {
  const built = pageFile('inbox.js');
  if (existsSync(built)) return readFile(built, 'utf8');
  const { build } = await import('esbuild');
  const result = await build({ ...PAGE_BUNDLE_OPTIONS, entryPoints: [pageFile('main.ts')], write: false });
  const output = result.outputFiles[0];
  if (!output) throw new Error('esbuild produced no output for the inbox page.');
  return output.text;
}
