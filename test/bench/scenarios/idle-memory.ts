import { LoadPool } from '../lib/load-pool.js';
import { ensureLive, quietSince, settledMemory, waitForIdle } from '../lib/measure.js';
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
/** The open phase's bound: generous, so that a slow system is measured rather than failed (≥ 120 s). */
const openTimeoutMs = (sockets: number) => Math.max(120_000, sockets * 30);

/**
 * Runs the systems' open phases one at a time. Every server is pinned to the same CPU, so opening on
 * all at once gains no time and mixes their wall times (and the load clients' CPU); the rest of a round
 * (starting, collecting, reading RSS) still runs side by side.
 */
function oneAtATime() {
  let turn: Promise<unknown> = Promise.resolve();
  return <T>(work: () => Promise<T>): Promise<T> => {
    const mine = turn.then(work);
    turn = mine.catch(() => {});
    return mine;
  };
}

export const idleMemory: Scenario = {
  id: 'idle-memory',
  title: 'Memory per idle subscribed socket',
  async run(context) {
    // TIDINGS_BENCH_IDLE_SOCKETS: another count, e.g. fewer for heap snapshots of a store that --quick skips.
    const sockets = Number(process.env.TIDINGS_BENCH_IDLE_SOCKETS) || (context.quick ? 500 : 10_000);
    // Few rounds: each restarts every server and opens N sockets on each (Tidings took 2–3 ms of CPU per
    // socket, idle-memory/open-cpu-per-socket: 20–30 s at 10,000), and RSS varies little between rounds.
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
    // Not raw-ws-store: it makes each socket's device subscription as the socket subscribes (its store is
    // new at each start), so its open phase and RSS would hold the store's writes; it measures the store.
    const systems = (await installAll(context, 'idle-memory')).filter(
      (s) => s.definition.id !== 'raw-ws-store',
    );
    const pools = new Map(
      systems.map((s) => [s, LoadPool.create(`${s.definition.id} idle-memory`, sockets)]),
    );
    const round = { users, checked, sockets, log, openTurn: oneAtATime() };
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
    openTurn: <T>(work: () => Promise<T>) => Promise<T>;
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

  // The open phase (a reconnect storm): every socket connects, is authenticated and subscribes, until
  // the server has done with the last subscribe (its CPU falls quiet: graphql-ws answers a subscribe
  // with nothing until a change comes, so the server's quiet is when the last feed was ready).
  const opening = await round.openTurn(async () => {
    const cpuBefore = (await running.probe()).cpuMicros;
    const started = performance.now();
    await pool.open(running.wsUrl, NOTIFICATION_CHANGES, specs, openTimeoutMs(sockets));
    const acknowledgedMs = performance.now() - started;
    const quietAt = await quietSince(running, 60_000);
    const cpuMicros = (await running.probe()).cpuMicros - cpuBefore;
    return { cpuMicros, acknowledgedMs, wallMs: quietAt - started };
  });
  const after = await settledMemory(running);
  pool.check();
  lap('open');
  const openCpuPerSocketMs = opening.cpuMicros / sockets / 1000;
  round.log(
    `${system.definition.id}: opening ${sockets} sockets: server CPU ${(opening.cpuMicros / 1e6).toFixed(2)} s ` +
      `(${openCpuPerSocketMs.toFixed(3)} ms/socket), all acknowledged after ${(opening.acknowledgedMs / 1000).toFixed(1)} s, ` +
      `server quiet after ${(opening.wallMs / 1000).toFixed(1)} s`,
  );
  context.report.add(
    {
      id: 'idle-memory/open-cpu-per-socket',
      label: `opening ${sockets.toLocaleString('en-US')} subscribed sockets at once, server CPU per socket (connect, init, subscribe)`,
      unit: 'ms/socket',
    },
    system.definition.id,
    openCpuPerSocketMs,
    { round: round.number, sockets, cpuMicros: opening.cpuMicros, acknowledgedMs: opening.acknowledgedMs },
    sockets / (opening.wallMs / 1000),
  );
  context.report.add(
    {
      id: 'idle-memory/open-wall',
      label: `opening ${sockets.toLocaleString('en-US')} subscribed sockets at once, wall time until the server is done`,
      unit: 's',
    },
    system.definition.id,
    opening.wallMs / 1000,
    { round: round.number, sockets, acknowledgedMs: opening.acknowledgedMs },
  );
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
