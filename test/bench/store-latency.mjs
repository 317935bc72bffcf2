// The PostgreSQL store alone, this build's dist/ beside another built checkout's (TIDINGS_BENCH_BEFORE), in
// one process, measured in turns: posts offered open loop at a fixed rate (each due at its own time,
// whatever the answers) to 100 users' devices by UNSID, as the latency scenario posts them, without HTTP,
// GraphQL, Redis or sockets. Per round and build: due → answered (the store answers after its commit)
// p50 / p99 / max, and the process's CPU per post. Not a test, not part of the bench: for telling a
// change of the write path from the machine's noise when the whole gateway's figures are too noisy.
//
//   TIDINGS_BENCH_BEFORE=/work/before node test/bench/store-latency.mjs [--rate=500] [--seconds=3] [--rounds=3]
//
// Both stores share the process (its event loop and CPU): a build's figures include what the other left
// running, so read the rounds side by side. The schemas it makes in the bench's PostgreSQL are dropped.
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const pg = createRequire(join(root, 'package.json'))('pg');
const option = (name, fallback) => {
  const flag = process.argv.find((f) => f.startsWith(`--${name}=`));
  return Number(flag ? flag.slice(name.length + 3) : fallback);
};
const rate = option('rate', 500);
const seconds = option('seconds', 3);
const rounds = option('rounds', 3);
const before = process.env.TIDINGS_BENCH_BEFORE;
const postgresUrl = process.env.TIDINGS_BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const HOST = 'store-latency.example.com';

async function onDatabase(sql) {
  const client = new pg.Client(postgresUrl);
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/** A store of the build at `at` on a schema of its own, with an app and 100 users' devices. */
async function storeOf(at) {
  const { createStore } = await import(join(at, 'dist/store/create-store.js'));
  const { loadConfig } = await import(join(at, 'dist/config/config.js'));
  const { registerApp } = await import(join(at, 'dist/auth/register-app.js'));
  const schema = `tidings_store_latency_${randomBytes(4).toString('hex')}`;
  await onDatabase(`CREATE SCHEMA "${schema}"`);
  const url = new URL(postgresUrl);
  url.searchParams.set('schema', schema);
  const dataDir = mkdtempSync(join(tmpdir(), 'store-latency-'));
  const store = await createStore(loadConfig({ DATABASE_URL: url.toString() }, { dataDir }));
  const { app } = await registerApp(store, { targetHostName: HOST });
  const unsids = [];
  for (let i = 0; i < 100; i++) {
    const now = new Date();
    const device = await store.createDeviceSubscription({
      id: `unsid-${i}-${schema}`,
      owner: { appId: app.id, issuer: 'urn:store-latency', subject: `user-${i}` },
      platform: 'WEB',
      deviceLabel: 'web',
      expirationDateTime: new Date(now.getTime() + 86_400_000),
      now,
      maxDevices: 10,
    });
    unsids.push(device.id);
  }
  return { store, appId: app.id, unsids, schema };
}

const content = (appNotificationId) => ({
  appNotificationId,
  targetHostName: HOST,
  priority: 'NONE',
  groupName: null,
  visualContent: { title: 'title', body: 'body' },
  rawContent: null,
  platformTypes: ['WEB'],
  displayTimeToLive: null,
  expirationDateTime: new Date(Date.now() + 86_400_000),
  fallbackPolicy: null,
});

const quantile = (sorted, q) => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)];

/** `rate × seconds` posts, open loop; each a new appNotificationId (a CREATED). */
async function measure({ store, appId, unsids }, keyPrefix) {
  const count = Math.round(rate * seconds);
  const interval = 1000 / rate;
  const latencies = new Array(count);
  const cpuBefore = process.cpuUsage();
  const start = performance.now();
  await new Promise((done, fail) => {
    let answered = 0;
    let sent = 0;
    const sendDue = () => {
      while (sent < count && start + sent * interval <= performance.now()) {
        const i = sent++;
        const due = start + i * interval;
        store
          .postNotification({
            target: { deviceSubscriptionId: unsids[i % unsids.length], appId },
            content: content(`${keyPrefix}${i}`),
            now: new Date(),
          })
          .then(() => {
            latencies[i] = performance.now() - due;
            if (++answered === count) done();
          }, fail);
      }
      if (sent < count) setTimeout(sendDue, Math.max(0, start + sent * interval - performance.now()));
    };
    sendDue();
  });
  const cpu = process.cpuUsage(cpuBefore);
  const sorted = latencies.sort((a, b) => a - b);
  return {
    p50: quantile(sorted, 0.5),
    p99: quantile(sorted, 0.99),
    max: sorted[sorted.length - 1],
    cpuPerPost: (cpu.user + cpu.system) / count,
  };
}

if (!before) {
  process.stderr.write('usage: TIDINGS_BENCH_BEFORE=<built checkout> node test/bench/store-latency.mjs\n');
  process.exit(2);
}
const builds = [
  ['before', await storeOf(resolve(before))],
  ['this', await storeOf(root)],
];
try {
  // Unmeasured: connections opened, statements prepared, code optimised.
  for (const [, build] of builds) await measure(build, 'warm-');
  for (let round = 1; round <= rounds; round++) {
    for (const [name, build] of builds) {
      const m = await measure(build, `round-${round}-`);
      process.stdout.write(
        `round ${round} ${name.padEnd(6)} ${rate}/s: p50 ${m.p50.toFixed(1)} ms, p99 ${m.p99.toFixed(1)} ms, ` +
          `max ${m.max.toFixed(1)} ms; CPU ${m.cpuPerPost.toFixed(0)} µs per post\n`,
      );
    }
  }
} finally {
  for (const [, build] of builds) {
    await build.store.close();
    await onDatabase(`DROP SCHEMA IF EXISTS "${build.schema}" CASCADE`);
  }
}
