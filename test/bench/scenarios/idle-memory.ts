import { LoadPool } from '../lib/load-pool.js';
import { ensureLive, settledMemory, waitForIdle } from '../lib/measure.js';
import { NOTIFICATION_CHANGES } from '../lib/notification.js';
import type { ProbeReading } from '../lib/server-process.js';
import type { Scenario, ScenarioContext } from './scenario.js';
import {
  forEachSystem,
  installAll,
  type SystemUnderTest,
  stopRunning,
  tearDown,
} from './systems-under-test.js';
import { initTimeoutMs, measureUnauthenticated } from './unauthenticated-sockets.js';

// Memory per idle subscribed socket: the server's RSS with N sockets connected and subscribed (one user
// each) minus its RSS before them, divided by N. Each round starts every server afresh (a process that
// has held and freed sockets before reuses that memory, and would look cheaper), warms it up with a few
// sockets that subscribe, receive and leave, and reads RSS after a full collection once it is idle.
// RSS is the process's own, whatever runs beside it, so the systems are measured side by side.

const WARM_UP_SOCKETS = 100;
/** Users whose sockets are checked to receive a notification after the measurement. */
const CHECKED_USERS = 100;
const LIVE = { concurrency: 8, timeoutMs: 60_000 };
/** Sockets that never send connection_init, measured on Tidings after the subscribed ones. */
const unauthenticatedSockets = (quick: boolean) => (quick ? 500 : 2000);

export const idleMemory: Scenario = {
  id: 'idle-memory',
  title: 'Memory per idle subscribed socket',
  async run(context) {
    // TIDINGS_BENCH_IDLE_SOCKETS: another count, e.g. fewer for heap snapshots of a store that --quick skips.
    const sockets = Number(process.env.TIDINGS_BENCH_IDLE_SOCKETS) || (context.quick ? 500 : 10_000);
    // Few rounds: each restarts every server and opens N sockets on each (Tidings takes ~4 ms of CPU per
    // socket: 40 s at 10,000), and RSS varies little from one round to the next.
    const rounds = context.rounds ?? (context.quick ? 1 : 2);
    context.report.parameters['idle-memory'] = {
      sockets,
      rounds,
      warmUpSockets: WARM_UP_SOCKETS,
      unauthenticatedSockets: unauthenticatedSockets(context.quick),
      initTimeoutMs: initTimeoutMs(context.quick),
    };
    // The fan-out's users: their device subscriptions exist already when it ran first.
    const users = Array.from({ length: sockets }, (_, i) => `user-${i}`);
    const checked = new Set(users.filter((_, i) => i % Math.ceil(sockets / CHECKED_USERS) === 0));
    const log = (message: string) => context.environment.log(`idle-memory: ${message}`);
    const systems = await installAll(context, 'idle-memory');
    const pools = new Map(
      systems.map((s) => [s, LoadPool.create(`${s.definition.id} idle-memory`, sockets)]),
    );
    const round = { users, checked, sockets, log };
    try {
      // Devices made once, before any measured process: creating them must not weigh on a round.
      log(`preparing ${sockets} devices on every system`);
      await forEachSystem(
        context,
        'idle-memory',
        systems,
        async (system) => {
          system.running = await system.installation.start();
          await system.running.devices(users, 1);
          await stopRunning(system);
        },
        { parallel: true },
      );
      for (let number = 1; number <= rounds; number++) {
        log(`round ${number}/${rounds}`);
        await forEachSystem(
          context,
          'idle-memory',
          systems,
          async (system) => {
            const pool = pools.get(system) as LoadPool;
            try {
              await measureRound(context, system, pool, { ...round, number });
            } finally {
              await pool.closeSockets().catch(() => {});
            }
          },
          { parallel: true },
        );
      }
    } finally {
      await Promise.all([...pools.values()].map((pool) => pool.stop()));
      await tearDown(systems);
    }
  },
};

async function measureRound(
  context: ScenarioContext,
  system: SystemUnderTest,
  pool: LoadPool,
  round: {
    number: number;
    users: readonly string[];
    checked: ReadonlySet<string>;
    sockets: number;
    log: (message: string) => void;
  },
): Promise<void> {
  const { users, sockets } = round;
  const laps: string[] = [];
  let lapStart = performance.now();
  const lap = (what: string) => {
    laps.push(`${what} ${((performance.now() - lapStart) / 1000).toFixed(1)} s`);
    lapStart = performance.now();
  };
  // Tidings runs with the scenario's connection_init timeout (the unauthenticated sockets' figures).
  const running = await system.installation.start({
    env: { TIDINGS_CONNECTION_INIT_TIMEOUT_MS: String(initTimeoutMs(context.quick)) },
  });
  system.running = running;
  const specs = await running.devices(users, 1);
  lap('start');

  await pool.open(running.wsUrl, NOTIFICATION_CHANGES, specs.slice(0, WARM_UP_SOCKETS));
  await waitForIdle(running);
  await ensureLive(running, pool, users.slice(0, WARM_UP_SOCKETS), LIVE);
  await pool.closeSockets();
  const before = await settledMemory(running);
  lap('warm-up');

  await pool.open(running.wsUrl, NOTIFICATION_CHANGES, specs);
  const after = await settledMemory(running);
  pool.check();
  lap('open');
  // They were subscribed, not just connected: a sample of users gets a notification.
  await ensureLive(running, pool, users, { ...LIVE, only: round.checked });
  lap('check');
  // Reported before the unauthenticated sockets are measured: a failure there (e.g. a silent socket
  // closed before its peak was read, on a loaded machine) does not lose this round's figures.
  const perSocketKiB = (after.rssBytes - before.rssBytes) / sockets / 1024;
  const heapPerSocketKiB = (after.heapUsedBytes - before.heapUsedBytes) / sockets / 1024;
  const mb = (bytes: number) => (bytes / 2 ** 20).toFixed(1);
  const change = (what: string, of: (reading: ProbeReading) => number) =>
    `${what} ${mb(of(before))} → ${mb(of(after))}`;
  const space = (name: string, key: 'size' | 'used') => (reading: ProbeReading) =>
    reading.memory.spaces[name]?.[key] ?? 0;
  round.log(
    `${system.definition.id}: RSS ${mb(before.rssBytes)} → ${mb(after.rssBytes)} MB, ` +
      `${perSocketKiB.toFixed(1)} KiB/socket, heap ${heapPerSocketKiB.toFixed(1)} KiB/socket (${laps.join(', ')}); ` +
      // Where RSS is (MB): a young generation grown by the handshakes would show in new_space's size.
      [
        change('heapTotal', (r) => r.memory.heapTotal),
        change('new_space size', space('new_space', 'size')),
        change('old_space size/used', space('old_space', 'size')) +
          ` / ${change('', space('old_space', 'used'))}`,
        change('code_space', space('code_space', 'size')),
        change('large_object_space', space('large_object_space', 'size')),
        change('external', (r) => r.memory.external),
        change('arrayBuffers', (r) => r.memory.arrayBuffers),
        `RSS by mapping ${mappingChanges(before, after)}`,
      ].join(', '),
  );
  context.report.add(
    {
      id: 'idle-memory/rss-per-socket',
      label: `idle subscribed socket, server RSS at ${sockets.toLocaleString('en-US')} sockets`,
      unit: 'KiB/socket',
      // Issue 14: ≤ 2× raw `ws`.
      targetRatio: 2,
    },
    system.definition.id,
    perSocketKiB,
    {
      round: round.number,
      sockets,
      rssBefore: before.rssBytes,
      rssAfter: after.rssBytes,
      heapUsedBefore: before.heapUsedBytes,
      heapUsedAfter: after.heapUsedBytes,
      heapPerSocketKiB,
      memoryBefore: before.memory,
      memoryAfter: after.memory,
    },
  );
  await pool.closeSockets();
  if (system.definition.id.startsWith('tidings')) {
    const unauthenticated = unauthenticatedSockets(context.quick);
    // Its failure (on a loaded machine, e.g. a silent socket closed before its peak was read) loses that
    // figure for the round, not the system's subscribed-socket figures of the rounds after.
    try {
      await measureUnauthenticated(context, system, running, pool, { ...round, sockets: unauthenticated });
    } catch (error) {
      round.log(`${system.definition.id}: unauthenticated sockets not measured this round: ${String(error)}`);
    }
    lap('unauthenticated');
  }
  await stopRunning(system);
  lap('stop');
}

/** The mappings whose RSS changed by 0.5 MB or more between two readings, largest change first (MB). */
function mappingChanges(before: ProbeReading, after: ProbeReading): string {
  const was = before.memory.mappings ?? {};
  const now = after.memory.mappings ?? {};
  const mb = (bytes: number) => (bytes / 2 ** 20).toFixed(1);
  const changes = [...new Set([...Object.keys(was), ...Object.keys(now)])]
    .map((name) => ({ name, from: was[name] ?? 0, to: now[name] ?? 0 }))
    .filter(({ from, to }) => Math.abs(to - from) >= 2 ** 19)
    .sort((a, b) => Math.abs(b.to - b.from) - Math.abs(a.to - a.from));
  return changes.length === 0
    ? 'unchanged'
    : changes.map(({ name, from, to }) => `${name} ${mb(from)} → ${mb(to)}`).join(', ');
}
