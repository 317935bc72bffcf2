// What a young collection copies when short-lived objects have something attached to them (not a test,
// not part of the bench; the figures behind RESULTS.md's "Young collections" section). Runs itself once
// per way of attaching, each in a fresh Node with --trace-gc-nvp, and prints per way the scavenges, their
// mean pause and what each copied (survived) on average:
//
//   node test/bench/weakmap-scavenge.mjs
//
// Each turn makes 200 keys of 20 small objects and drops them; a key gets one of: nothing, a WeakMap entry
// whose value is 20 small objects, a WeakMap entry whose value is a number, a WeakSet entry, the same value
// as a property of the key, a WeakRef to the key. 3 s of turns, one V8 background thread.
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const WAYS = ['nothing', 'weakmap-object', 'weakmap-number', 'weakset', 'property', 'weakref'];
const SECONDS = 3;

function turns(way) {
  const map = new WeakMap();
  const set = new WeakSet();
  const VALUE = Symbol('value');
  const make = () => {
    const made = { items: [] };
    for (let i = 0; i < 20; i++) made.items.push({ i, text: `x${i}`, list: [i, i + 1, i + 2] });
    return made;
  };
  let kept = 0;
  let lastRef;
  const one = () => {
    const key = make();
    if (way === 'weakmap-object') map.set(key, make());
    else if (way === 'weakmap-number') map.set(key, 1);
    else if (way === 'weakset') set.add(key);
    else if (way === 'property') key[VALUE] = make();
    else if (way === 'weakref') lastRef = new WeakRef(key);
    kept += key.items.length;
  };
  const start = Date.now();
  const turn = () => {
    for (let i = 0; i < 200; i++) one();
    if (Date.now() - start < SECONDS * 1000) setImmediate(turn);
    else if (kept < 0) console.log(kept, lastRef); // keeps the work observable
  };
  setTimeout(turn, 100);
}

const way = process.argv[2];
if (way) {
  turns(way);
} else {
  for (const each of WAYS) {
    const output = execFileSync(
      process.execPath,
      ['--v8-pool-size=1', '--trace-gc', '--trace-gc-nvp', fileURLToPath(import.meta.url), each],
      { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 },
    );
    let count = 0;
    let pause = 0;
    let survived = 0;
    for (const line of output.split('\n')) {
      if (!line.includes(' gc=s ')) continue;
      const field = (name) => Number(new RegExp(` ${name}=([0-9.]+)`).exec(line)?.[1] ?? 0);
      count += 1;
      pause += field('pause');
      survived += field('new_space_survived');
    }
    const mean = (value) => (count === 0 ? 0 : value / count);
    console.log(
      `${each.padEnd(15)} scavenges ${String(count).padStart(6)}  mean ${mean(pause).toFixed(2)} ms  ` +
        `copied ${(mean(survived) / 1024).toFixed(0)} KB per scavenge`,
    );
  }
}
