// Bytes allocated per request in a heap profile written with TIDINGS_BENCH_ALLOCATION_PROFILE
// (lib/allocation-profile.ts), summed by where they were allocated:
//
//   node test/bench/allocation-summary.mjs <file.heapprofile> [--by=function|module] [--top=<n>]
//
// V8's own functions (JSON.parse, Map, Object.keys, …: no script) are counted to the nearest script
// function that called them, which is where the code that could allocate less is.
import { readFileSync } from 'node:fs';

const [file, ...options] = process.argv.slice(2);
if (!file) {
  process.stderr.write('usage: allocation-summary.mjs <file.heapprofile> [--by=function|module] [--top=n]\n');
  process.exit(2);
}
const option = (name, fallback) =>
  options.find((o) => o.startsWith(`--${name}=`))?.slice(name.length + 3) ?? fallback;
const by = option('by', 'function');
const top = Number(option('top', '40'));
const { requests, profile } = JSON.parse(readFileSync(file, 'utf8'));

const shortUrl = (url) =>
  url
    .replace(/^file:\/\//, '')
    .replace(/.*node_modules\//, '')
    .replace(/.*\/(dist|src|test)\//, '$1/');
const moduleOf = (url) =>
  shortUrl(url).replace(/^((@[^/]+\/)?[^/]+)\/.*$/, (m, p) => (url.includes('node_modules') ? p : m));
const totals = new Map();
let total = 0;
function walk(node, owner) {
  const { functionName, url, lineNumber } = node.callFrame;
  const here = url
    ? { name: `${functionName || '(anonymous)'} ${shortUrl(url)}:${lineNumber + 1}`, url }
    : owner;
  if (node.selfSize > 0) {
    total += node.selfSize;
    const key = here ? (by === 'module' ? moduleOf(here.url) : here.name) : '(V8)';
    totals.set(key, (totals.get(key) ?? 0) + node.selfSize);
  }
  for (const child of node.children) walk(child, here);
}
walk(profile.head, undefined);
process.stdout.write(
  `${requests} requests, ${(total / 1024).toFixed(0)} KiB, ${(total / requests).toFixed(0)} B per request\n`,
);
for (const [key, bytes] of [...totals].sort((a, b) => b[1] - a[1]).slice(0, top)) {
  process.stdout.write(
    `${(bytes / requests).toFixed(0).padStart(7)} B ${((100 * bytes) / total).toFixed(1).padStart(5)} %  ${key}\n`,
  );
}
