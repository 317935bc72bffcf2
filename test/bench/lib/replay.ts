// A reconnect storm with a backlog, as the replay and growth scenarios measure it: devices that have
// received something (so each holds a cursor) disconnect, their app posts to each of them while they
// are away, and they all come back at once with their cursors. Measured from the first reconnect until
// every device has every change it missed: the server's CPU, the wall time, and Tidings' store
// operations (GET /metrics) per reconnect.
import type { DatabaseLocation, RunningSystem } from '../systems/system.js';
import type { DevicePool } from './device-pool.js';
import type { HttpLoad } from './http-load.js';
import type { SocketSpec } from './load-messages.js';
import { type Cost, serverCost, waitForIdle } from './measure.js';
import { NOTIFICATION_CHANGES } from './notification.js';
import { appendBacklog } from './seed.js';
import { callsBetween, storeCalls } from './tidings-metrics.js';
import { sleep } from './time.js';

/** Store operations that are not the reconnect's: the posts made while away, delivery tracking. */
const NOT_RECONNECT = new Set(['postNotification', 'recordDeliveryMarks']);
/** Tidings settings for these measurements: no delivery-mark flush, no sweep, during the measurement. */
export const QUIET_TIDINGS = { TIDINGS_DELIVERY_FLUSH_MS: '3600000', TIDINGS_SWEEP_INTERVAL_MS: '0' };
/** Posts in flight while the devices are away. */
const POST_CONNECTIONS = 32;
/** Devices reconnecting at once (WebSocket handshakes in flight). */
const RECONNECT_CONCURRENCY = 100;

export interface ReplayDevices {
  readonly running: RunningSystem;
  readonly pool: DevicePool;
  readonly specs: readonly SocketSpec[];
  readonly load: HttpLoad;
  /** Tidings' store, where the backlog can be written straight (see `replayRound`). */
  readonly database?: DatabaseLocation | undefined;
}

/**
 * How the changes a device misses get into its feed: `post`ed over HTTP by the app (createNotification,
 * 32 at a time), or `seed`ed straight into the store (lib/seed.ts appendBacklog: the same rows, in one
 * transaction), which is what makes 100,000 missed changes affordable while posts cost milliseconds of
 * CPU each. The replay that follows is the same either way. TIDINGS_BENCH_REPLAY_BACKLOG=post|seed.
 */
export type BacklogMethod = 'post' | 'seed';
export const backlogMethod = (): BacklogMethod =>
  process.env.TIDINGS_BENCH_REPLAY_BACKLOG === 'post' ? 'post' : 'seed';

export interface ReplayResult {
  readonly devices: number;
  readonly changesPerDevice: number;
  /** Server cost from the first reconnect until the last device has caught up. */
  readonly cost: Cost;
  readonly backlog: BacklogMethod;
  /** Wall time of making the backlog (the posts, or the seeding) while the devices were away. */
  readonly backlogMs: number;
  /** Store operations made during the reconnect, by name, those of NOT_RECONNECT left out. */
  readonly storeCalls: Record<string, number>;
  readonly storeCallsPerReconnect: number;
}

/**
 * Opens every device from the feed's head and gives each a cursor: posts to each device that has not
 * received anything yet until all have (a device whose subscription was not live when a post committed
 * misses it, as it should).
 */
export async function connectWithCursors(
  devices: ReplayDevices,
  keyPrefix: string,
  options: { stamp?: boolean } = {},
): Promise<void> {
  const { running, pool, specs, load } = devices;
  const template = running.triggerRequest;
  if (!template) throw new Error('the system has no trigger request');
  await pool.open(running.wsUrl, NOTIFICATION_CHANGES, specs, { stamp: options.stamp ?? false });
  await waitForIdle(running, 30_000);
  const deadline = Date.now() + 120_000;
  for (let attempt = 0; ; attempt++) {
    const cursors = await pool.cursors();
    const missing = specs.filter((_, i) => !cursors[i]).map((spec) => spec.deviceSubscriptionId);
    if (missing.length === 0) break;
    if (Date.now() > deadline) throw new Error(`${missing.length} devices never received a change`);
    await pool.orFailure(
      load.closed({
        template,
        targets: missing,
        keyPrefix: `${keyPrefix}a${attempt}-`,
        connections: Math.min(POST_CONNECTIONS, missing.length),
        durationMs: 0,
        amount: missing.length,
      }),
    );
    await sleep(500);
  }
  await waitForIdle(running, 30_000);
}

/**
 * One reconnect storm: closes every device (each keeps its cursor), posts `changesPerDevice` changes to
 * each (closed loop, POST_CONNECTIONS at a time), then reopens them all with their cursors and measures
 * until all have caught up. The devices are live again afterwards.
 */
export async function replayRound(
  devices: ReplayDevices,
  options: { changesPerDevice: number; keyPrefix: string; timeoutMs: number; backlog: BacklogMethod },
): Promise<ReplayResult> {
  const { running, pool, specs, load } = devices;
  const template = running.triggerRequest;
  if (!template) throw new Error('the system has no trigger request');
  const { changesPerDevice } = options;
  const changes = specs.length * changesPerDevice;

  await pool.closeSockets();
  await waitForIdle(running, 30_000);
  const making = performance.now();
  const unsids = specs.map((spec) => spec.deviceSubscriptionId);
  if (options.backlog === 'seed') {
    if (!devices.database) throw new Error('no database to write the backlog to');
    await appendBacklog(devices.database, unsids, changesPerDevice, options.keyPrefix);
  } else {
    // Round robin over the devices: each gets exactly changesPerDevice.
    const posted = await pool.orFailure(
      load.closed({
        template,
        targets: unsids,
        keyPrefix: options.keyPrefix,
        connections: POST_CONNECTIONS,
        durationMs: 0,
        amount: changes,
      }),
    );
    if (posted.ok !== changes) throw new Error(`${posted.ok} of ${changes} posts succeeded`);
  }
  const backlogMs = performance.now() - making;
  await waitForIdle(running, 30_000);

  const before = await pool.counts();
  const callsBefore = await storeCalls(running.url);
  const { reached } = await pool.arm(changes, options.timeoutMs);
  const cost = await serverCost(running, async () => {
    await pool.orFailure(
      pool.open(running.wsUrl, NOTIFICATION_CHANGES, specs, {
        resume: true,
        concurrency: RECONNECT_CONCURRENCY,
        timeoutMs: options.timeoutMs,
      }),
    );
    await reached;
  });
  await waitForIdle(running, 30_000);
  const calls = callsBetween(callsBefore, await storeCalls(running.url));
  for (const operation of NOT_RECONNECT) delete calls[operation];
  const after = await pool.counts();
  const wrong = specs.findIndex((_, i) => (after[i] ?? 0) - (before[i] ?? 0) !== changesPerDevice);
  if (wrong >= 0) {
    const got = (after[wrong] ?? 0) - (before[wrong] ?? 0);
    throw new Error(`device ${wrong} received ${got} changes on reconnecting, not ${changesPerDevice}`);
  }
  const total = Object.values(calls).reduce((sum, n) => sum + n, 0);
  return {
    devices: specs.length,
    changesPerDevice,
    cost,
    backlog: options.backlog,
    backlogMs,
    storeCalls: calls,
    storeCallsPerReconnect: total / specs.length,
  };
}
