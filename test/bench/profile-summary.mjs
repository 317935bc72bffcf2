// Self time of a V8 CPU profile (a .cpuprofile from `node --cpu-prof`, e.g. a bench server run with
// TIDINGS_BENCH_SERVER_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof"), by module and by function, or
// the callers of the functions whose name starts with --callers. Not a test, not part of the bench.
//
//   node test/bench/profile-summary.mjs <file.cpuprofile> [--from=<s>] [--to=<s>] [--top=<n>]
//     [--callers=<name> --depth=<n>] [--inclusive=<name>,<name>…]
//
// --from leaves out the first seconds (start-up, warm-up), --to what follows (the sockets' closing).
// --inclusive sums, for each name, the time of every sample with a function of that name (its label's
// start, e.g. `writePosts` or `sentDirectly dist/delivery`) anywhere on its stack, once per sample:
// what a path costs with everything it calls. A sampled profile counts time on the thread,
// not CPU time: a synchronous fsync (SQLite's COMMIT) or a blocking write shows as self time of its
// caller although it costs little CPU, so read a function's share beside process.cpuUsage() figures.
import { readFileSync } from 'node:fs';

const [file, ...flags] = process.argv.slice(2);
if (!file) {
  process.stderr.write(
    'usage: profile-summary.mjs <file.cpuprofile> [--from=s] [--to=s] [--top=n] [--callers=name] [--inclusive=a,b]\n',
  );
  process.exit(2);
}
const option = (name, fallback) => {
  const flag = flags.find((f) => f.startsWith(`--${name}=`));
  return flag ? flag.slice(name.length + 3) : fallback;
};
const fromMicros = Number(option('from', '0')) * 1e6;
const toMicros = Number(option('to', 'Infinity')) * 1e6;
const inclusiveNames = option('inclusive', '')
  .split(',')
  .filter((name) => name !== '');
const top = Number(option('top', '40'));
const callersOf = option('callers', undefined);
const depth = Number(option('depth', '6'));

const profile = JSON.parse(readFileSync(file, 'utf8'));
const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
const parentOf = new Map();
for (const node of profile.nodes) for (const child of node.children ?? []) parentOf.set(child, node.id);

// Self time per node id, samples before --from left out.
const selfMicros = new Map();
let clock = profile.startTime;
for (let i = 0; i < profile.samples.length; i++) {
  const delta = profile.timeDeltas[i] ?? 0;
  clock += delta;
  if (clock - profile.startTime < fromMicros || clock - profile.startTime >= toMicros) continue;
  const id = profile.samples[i];
  selfMicros.set(id, (selfMicros.get(id) ?? 0) + delta);
}

const shortUrl = (url) =>
  url.replace(/.*node_modules\//, '').replace(/^file:\/\/.*?\/(dist|src|test)\//, '$1/');
const label = (node) =>
  `${node.callFrame.functionName || '(anonymous)'} ${shortUrl(node.callFrame.url)}:${node.callFrame.lineNumber}`;
/** A package, one of the project's directories (dist/store, …), a node: module, or (native). */
function moduleOf(url) {
  if (!url) return '(native)';
  const inPackage = url.match(/node_modules\/((?:@[^/]+\/)?[^/]+)/);
  if (inPackage) return inPackage[1];
  const ours = url.match(/\/(dist|src)\/([^/]+)/);
  return ours ? `${ours[1]}/${ours[2]}` : url;
}

const add = (map, key, micros) => map.set(key, (map.get(key) ?? 0) + micros);
const byModule = new Map();
const byFunction = new Map();
const byCallers = new Map();
let idle = 0;
let total = 0;
for (const [id, micros] of selfMicros) {
  const node = nodes.get(id);
  total += micros;
  if (node.callFrame.functionName === '(idle)') {
    idle += micros;
    continue;
  }
  add(byModule, moduleOf(node.callFrame.url), micros);
  add(byFunction, label(node), micros);
  if (callersOf && label(node).startsWith(callersOf)) {
    const chain = [];
    for (let up = parentOf.get(id); up !== undefined && chain.length < depth; up = parentOf.get(up)) {
      chain.push(label(nodes.get(up)));
    }
    add(byCallers, chain.join(' < '), micros);
  }
}

// Inclusive time: a sample counts for a name once if any frame of its stack carries that name.
const inclusive = new Map(inclusiveNames.map((name) => [name, 0]));
if (inclusiveNames.length > 0) {
  for (const [id, micros] of selfMicros) {
    const found = new Set();
    for (let up = id; up !== undefined; up = parentOf.get(up)) {
      const text = label(nodes.get(up));
      for (const name of inclusiveNames) if (text.startsWith(name)) found.add(name);
    }
    for (const name of found) add(inclusive, name, micros);
  }
}

const busy = total - idle;
const ms = (micros) => (micros / 1000).toFixed(0).padStart(7);
const show = (title, map, count) => {
  process.stdout.write(`--- ${title}\n`);
  for (const [key, micros] of [...map].sort((a, b) => b[1] - a[1]).slice(0, count)) {
    process.stdout.write(`${((100 * micros) / busy).toFixed(1).padStart(5)}% ${ms(micros)} ms  ${key}\n`);
  }
};
process.stdout.write(`sampled ${ms(total)} ms, idle ${ms(idle)} ms, busy ${ms(busy)} ms\n`);
if (inclusiveNames.length > 0) show('inclusive (with what they call)', inclusive, inclusive.size);
if (callersOf) show(`callers of ${callersOf}`, byCallers, top);
else {
  show('modules (self time)', byModule, 30);
  show('functions (self time)', byFunction, top);
}
