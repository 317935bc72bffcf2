// What a post costs the store when each post of a batch goes to another user's feed, as in the fan-out
// scenario's `users-*` variants, beside posts that all go to one feed, as its "trigger alone" does (not
// part of `npm run bench`): posts written through Tidings' SQLite store in this process (no HTTP, no
// GraphQL), BATCH at once (group commit makes them one transaction), the commits on the event loop as on
// the bench's pinned server. Per post: CPU (user and system, process.cpuUsage) and what the process
// wrote (/proc/self/io: write calls and bytes: the WAL's frames, and the checkpoints that copy them into
// the database). Medians over the rounds after a warm-up; the two kinds alternate.
//
//   node --import tsx test/bench/write-locality.ts
//   LOCALITY_USERS=10000 LOCALITY_BATCH=4 LOCALITY_BATCHES=150 LOCALITY_ROUNDS=5
//
// Measured 2026-12-05 (10,000 users, batches of 4; other work on the machine, load average 9–17: the
// CPU figures of two runs do not compare, the writes do), with random notification ids (main before
// UUIDv7, the tool run against it) and then UUIDv7: one user 16.8 → 11.1 write calls and 41.1 → 25.6
// KiB written per post, distinct users 28.8 → 20.7 and 76.8 → 52.6 KiB.
import { readFileSync } from 'node:fs';
import { localityContent, openLocalityStore } from './lib/locality-store.js';
import { median } from './lib/stats.js';

const USERS = Number(process.env.LOCALITY_USERS ?? 10_000);
const BATCH = Number(process.env.LOCALITY_BATCH ?? 4);
const BATCHES = Number(process.env.LOCALITY_BATCHES ?? 150);
const ROUNDS = Number(process.env.LOCALITY_ROUNDS ?? 5);
// A step through the users that is prime to their number visits them all before any again.
const STRIDE = 7919;

type Kind = 'one user' | 'distinct users';

interface Reading {
  readonly cpuMicros: number;
  readonly writes: number;
  readonly kib: number;
}

/** The process's write calls and bytes written so far (/proc/self/io). */
function written(): { calls: number; bytes: number } {
  const fields = new Map(
    readFileSync('/proc/self/io', 'utf8')
      .trim()
      .split('\n')
      .map((line) => line.split(': ') as [string, string]),
  );
  return { calls: Number(fields.get('syscw')), bytes: Number(fields.get('wchar')) };
}

const { store, appId, unsids, close } = await openLocalityStore(USERS);
try {
  let sequence = 0;
  let next = 0;
  const target = (kind: Kind) => {
    if (kind === 'one user') return unsids[0] as string;
    next = (next + STRIDE) % USERS;
    return unsids[next] as string;
  };
  const measure = async (kind: Kind, batches: number): Promise<Reading> => {
    const before = written();
    const started = process.cpuUsage();
    for (let b = 0; b < batches; b++) {
      const at = new Date();
      await Promise.all(
        Array.from({ length: BATCH }, () =>
          store.postNotification({
            target: { deviceSubscriptionId: target(kind), appId },
            content: localityContent(`locality-${sequence++}`),
            now: at,
          }),
        ),
      );
    }
    const cpu = process.cpuUsage(started);
    const after = written();
    const posts = batches * BATCH;
    return {
      cpuMicros: (cpu.user + cpu.system) / posts,
      writes: (after.calls - before.calls) / posts,
      kib: (after.bytes - before.bytes) / posts / 1024,
    };
  };

  const kinds: Kind[] = ['one user', 'distinct users'];
  for (const kind of kinds) await measure(kind, Math.ceil(BATCHES / 2));
  const readings = new Map<Kind, Reading[]>(kinds.map((kind) => [kind, []]));
  for (let round = 0; round < ROUNDS; round++) {
    for (const kind of kinds) readings.get(kind)?.push(await measure(kind, BATCHES));
  }
  process.stdout.write(`${USERS} users, batches of ${BATCH}, ${BATCHES} batches × ${ROUNDS} rounds\n`);
  for (const kind of kinds) {
    const of = (pick: (reading: Reading) => number) => median((readings.get(kind) ?? []).map(pick));
    process.stdout.write(
      `${kind.padEnd(15)} ${of((r) => r.cpuMicros).toFixed(0)} µs CPU, ${of((r) => r.writes).toFixed(1)} writes, ${of((r) => r.kib).toFixed(1)} KiB written per post\n`,
    );
  }
} finally {
  await close();
}
