#!/usr/bin/env node
// The `tidings` command: runs the compiled gateway (dist/), built by `npm install`, `npm run build` or
// `npm start`; nothing is compiled at run time.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { setFlagsFromString } from 'node:v8';

const at = (path) => fileURLToPath(new URL(`../${path}`, import.meta.url));

if (!existsSync(at('dist/main.js'))) {
  process.stderr.write('tidings: not built yet: run `npm run build` (npm install does it).\n');
  process.exit(1);
}
// In a checkout, say so when the sources changed since the last build (a few milliseconds of stat calls).
if (existsSync(at('src')) && existsSync(at('dist/tsbuildinfo/built'))) {
  const built = statSync(at('dist/tsbuildinfo/built')).mtimeMs;
  const changed = readdirSync(at('src'), { recursive: true, withFileTypes: true }).some(
    (entry) => entry.isFile() && statSync(`${entry.parentPath}/${entry.name}`).mtimeMs > built,
  );
  if (changed)
    process.stderr.write('tidings: src/ changed since the last build; `npm run build` to use it.\n');
}
// A command other than serve runs a few queries and exits: V8's baseline WebAssembly compiler alone is
// enough for Prisma's query compiler (3.3 MB of WebAssembly), whose optimised compilation cost such a
// command about 0.35 s of its 0.8. The gateway keeps the optimising compiler, for its throughput.
if (process.argv[2] !== 'serve') setFlagsFromString('--liftoff-only');
await import('../dist/main.js');
