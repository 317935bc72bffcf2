// `npm run build`: makes what runs, so that nothing compiles at run time.
//   dist/          the gateway, compiled by tsc (incremental: a build with nothing changed takes a moment)
//   dist/inbox/page/  the web inbox, its script bundled by esbuild (the gateway needs no bundler)
//   dist/client/   the client package (@tidings/client): ESM, declarations and its own package.json
// Run by `npm install` (prepare), `npm start`, `npm pack` and the tests (test/support/build.ts); with
// `--clean` it starts from an empty dist/ (npm pack does, so no output of a deleted source ships).
// Plain JavaScript on purpose: it runs before anything is compiled.
import { spawnSync } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const at = (...parts) => join(root, ...parts);
const require = createRequire(import.meta.url);

/** Written last by a successful build: bin/tidings.js compares src/ with it to warn about a stale build. */
const BUILD_STAMP = 'dist/tsbuildinfo/built';

function fail(message) {
  console.error(`build: ${message}`);
  process.exit(1);
}

/**
 * The newest modification time at `paths`, folders searched (a folder's own time changes when a file in
 * it is added, renamed or deleted), 0 when there is nothing.
 */
function newest(...paths) {
  let time = 0;
  for (const path of paths.map((part) => at(part)).filter((path) => existsSync(path))) {
    const entries = statSync(path).isDirectory()
      ? readdirSync(path, { recursive: true, withFileTypes: true }).map((entry) =>
          join(entry.parentPath, entry.name),
        )
      : [];
    for (const entry of [path, ...entries]) time = Math.max(time, statSync(entry).mtimeMs);
  }
  return time;
}

/** What the build reads: when none of it changed since the last build, there is nothing to do. */
const INPUTS = [
  'src',
  'prisma',
  'package.json',
  'package-lock.json',
  'tsconfig.json',
  'tsconfig.build.json',
  'scripts/build.js',
  'scripts/prisma-generate.js',
];

/** Where a development dependency is, or undefined where it is not installed (npm install --omit=dev). */
function resolveOptional(specifier) {
  try {
    return require.resolve(specifier);
  } catch {
    return undefined;
  }
}

/** Runs prisma generate when a schema is newer than its generated client (the client is git-ignored). */
async function generatePrismaClients() {
  const stale = ['sqlite', 'postgres'].some((provider) => {
    const generated = at('src/store/generated', provider, 'client.ts');
    return (
      !existsSync(generated) ||
      statSync(generated).mtimeMs < statSync(at('prisma', provider, 'schema.prisma')).mtimeMs
    );
  });
  if (!stale) return;
  const { generatePrismaClients: generate } = await import('./prisma-generate.js');
  generate();
}

function compile(tsc) {
  const result = spawnSync(
    process.execPath,
    [tsc, '--build', 'tsconfig.build.json', 'src/client/tsconfig.json'],
    { cwd: root, stdio: 'inherit' },
  );
  if (result.status !== 0) fail('tsc failed.');
}

/** The inbox page: its HTML and CSS copied, its scripts (the page's, the service worker's) bundled with the options the gateway would use. */
async function bundleInbox() {
  const sources = newest(
    'src/inbox/page',
    'src/inbox/service-worker',
    'src/inbox/page-script.ts',
    'src/client',
    'package-lock.json',
  );
  const built = ['inbox.js', 'service-worker.js'].map((name) => newest(`dist/inbox/page/${name}`));
  if (Math.min(...built) > sources) return;
  const { PAGE_BUNDLE_OPTIONS, PAGE_SCRIPTS } = await import(
    pathToFileURL(at('dist/inbox/page-script.js')).href
  );
  const { build } = await import('esbuild');
  const out = at('dist/inbox/page');
  mkdirSync(out, { recursive: true });
  for (const file of ['index.html', 'inbox.css']) copyFileSync(at('src/inbox/page', file), join(out, file));
  for (const [name, entry] of Object.entries(PAGE_SCRIPTS)) {
    await build({ ...PAGE_BUNDLE_OPTIONS, entryPoints: [at('src/inbox', entry)], outfile: join(out, name) });
  }
}

/**
 * The client package: its package.json and README beside the compiled files, and a check that it stands
 * alone: every import of its JavaScript is a file of its own or one of its dependencies. (tsc's rootDir
 * already refuses a source that reaches outside src/client.)
 */
function finishClientPackage() {
  const out = at('dist/client');
  if (newest(BUILD_STAMP) > Math.max(newest('dist/client'), newest('src/client'))) return;
  const ts = require('typescript');
  for (const file of ['package.json', 'README.md']) copyFileSync(at('src/client', file), join(out, file));
  const manifest = JSON.parse(readFileSync(join(out, 'package.json'), 'utf8'));
  const allowed = new Set(Object.keys(manifest.dependencies ?? {}));
  const problems = [];
  for (const file of readdirSync(out).filter((name) => name.endsWith('.js') || name.endsWith('.d.ts'))) {
    const { importedFiles } = ts.preProcessFile(readFileSync(join(out, file), 'utf8'), true, true);
    for (const { fileName: specifier } of importedFiles) {
      if (specifier.startsWith('./') && !specifier.slice(2).includes('/')) continue;
      const name = specifier.startsWith('@')
        ? specifier.split('/').slice(0, 2).join('/')
        : specifier.split('/')[0];
      if (!allowed.has(name)) problems.push(`${file} imports ${specifier}`);
    }
  }
  if (problems.length > 0) {
    fail(
      `the client package must import only its own files and ${[...allowed].join(', ')}:\n  ${problems.join('\n  ')}`,
    );
  }
}

if (!existsSync(at('src'))) {
  // An installed package (npm pack's tarball): it was built before it was packed.
  process.exit(0);
}
const clean = process.argv.includes('--clean');
// A few milliseconds of stat calls instead of starting tsc: npm start and the tests build every time.
if (!clean && newest(...INPUTS) < newest(BUILD_STAMP)) process.exit(0);
const tsc = resolveOptional('typescript/bin/tsc');
// All three: npm prune --omit=dev keeps TypeScript and the Prisma CLI (optional peers of @prisma/client).
if (!tsc || !resolveOptional('esbuild') || !resolveOptional('prisma/build/index.js')) {
  if (existsSync(at(BUILD_STAMP))) {
    // npm prune --omit=dev after a build: run what was built.
    console.error('build: the development dependencies are not installed; using the existing dist/.');
    process.exit(0);
  }
  fail(
    'building needs the development dependencies (TypeScript, esbuild, the Prisma CLI): run npm install ' +
      'without --omit=dev. For production dependencies only, build first and then npm prune --omit=dev, ' +
      'or install the tarball npm pack makes.',
  );
}
if (clean) rmSync(at('dist'), { recursive: true, force: true });
await generatePrismaClients();
compile(tsc);
await bundleInbox();
finishClientPackage();
writeFileSync(at(BUILD_STAMP), `${new Date().toISOString()}\n`);
