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

/** The bundled scripts: the page's, and its service worker's (a script of its own, from its own folder). */
export const PAGE_SCRIPTS = {
  'inbox.js': 'page/main.ts',
  'service-worker.js': 'service-worker/service-worker.ts',
} as const;
export type PageScript = keyof typeof PAGE_SCRIPTS;

/**
 * One of the page's scripts. The build bundles them into page/ beside the built gateway
 * (scripts/build.js), so production needs no bundler. Run from the sources (Vitest, tsx) there are no
 * such files: they are bundled now, with esbuild, a development dependency.
 * @throws Error when the script cannot be read or bundled.
 */
export async function loadPageScript(name: PageScript): Promise<string> {
  const built = pageFile(name);
  if (existsSync(built)) return readFile(built, 'utf8');
  const { build } = await import('esbuild');
  const entry = fileURLToPath(new URL(`./${PAGE_SCRIPTS[name]}`, import.meta.url));
  const result = await build({ ...PAGE_BUNDLE_OPTIONS, entryPoints: [entry], write: false });
  const output = result.outputFiles[0];
  if (!output) throw new Error(`esbuild produced no output for the inbox's ${name}.`);
  return output.text;
}
