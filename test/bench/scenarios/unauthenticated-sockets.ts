import type { LoadPool } from '../lib/load-pool.js';
import { settledMemory } from '../lib/measure.js';
import type { RunningSystem } from '../systems/system.js';
import type { ScenarioContext } from './scenario.js';
import type { SystemUnderTest } from './systems-under-test.js';

// Sockets that open and never send connection_init: what each costs Tidings while it waits for its
// connection_init timeout, what is left of them once the timeout has closed them all (4408), and how
// promptly it does. These are the figures test/delivery/idle-sockets.test.ts used to assert (heap per
// socket, heap back to its baseline, wall time); the test now checks counts only (no object, handle or
// timer left). Tidings only: the comparison servers have no such timeout, or another one.

/** The connection_init timeout Tidings runs with in the idle-memory scenario: every socket must be open before it passes. */
export const initTimeoutMs = (quick: boolean) => (quick ? 5000 : 10_000);
const WARM_UP_SOCKETS = 100;

const KiB = 1024;

/**
 * Measures `sockets` never-initialised sockets on a running Tidings whose other sockets are closed, and
 * adds the round's figures to the report.
 * @throws Error when a socket closed with another code than 4408, or before the peak was read (the
 *   timeout is then too short for the machine to open them all first).
 */
export async function measureUnauthenticated(
  context: ScenarioContext,
  system: SystemUnderTest,
  running: RunningSystem,
  pool: LoadPool,
  round: { number: number; sockets: number; log: (message: string) => void },
): Promise<void> {
  const timeoutMs = initTimeoutMs(context.quick);
  const waitMs = timeoutMs + 60_000;
  if (!context.quick) {
    // The closing path once (compiled, pools grown) before the baseline; quick runs skip it for time.
    await (await pool.openSilent(running.wsUrl, WARM_UP_SOCKETS)).closed(waitMs);
  }
  const before = await settledMemory(running);
  const opening = Date.now();
  const { closed } = await pool.openSilent(running.wsUrl, round.sockets);
  const openedAt = Date.now();
  const peak = await settledMemory(running);
  const peakReadAt = Date.now();
  const closes = await closed(waitMs);
  const wrong = closes.codes.filter((code) => code !== 4408);
  if (wrong.length > 0) throw new Error(`${wrong.length} silent sockets closed with ${wrong[0]}, not 4408`);
  if (closes.firstCloseAt < peakReadAt) {
    throw new Error(
      `a silent socket closed before the peak was read: opening ${round.sockets} took ${openedAt - opening} ms ` +
        `of the ${timeoutMs} ms timeout`,
    );
  }
  const after = await settledMemory(running);

  const perSocket = (bytes: number) => bytes / round.sockets / KiB;
  const heapPerSocket = perSocket(peak.heapUsedBytes - before.heapUsedBytes);
  const retainedPerSocket = perSocket(after.heapUsedBytes - before.heapUsedBytes);
  // The last socket's timer started about when it opened: how late past its timeout the last close came.
  const lateMs = closes.lastCloseAt - openedAt - timeoutMs;
  const details = {
    round: round.number,
    sockets: round.sockets,
    initTimeoutMs: timeoutMs,
    openMs: openedAt - opening,
    heapUsedBefore: before.heapUsedBytes,
    heapUsedPeak: peak.heapUsedBytes,
    heapUsedAfter: after.heapUsedBytes,
    rssBefore: before.rssBytes,
    rssPeak: peak.rssBytes,
    rssAfter: after.rssBytes,
    rssPerSocketKiB: perSocket(peak.rssBytes - before.rssBytes),
    rssRetainedPerSocketKiB: perSocket(after.rssBytes - before.rssBytes),
    firstCloseAfterOpenMs: closes.firstCloseAt - opening,
    lastCloseAfterOpenMs: closes.lastCloseAt - opening,
  };
  const mb = (bytes: number) => (bytes / 2 ** 20).toFixed(1);
  round.log(
    `${system.definition.id}: ${round.sockets} unauthenticated sockets opened in ${details.openMs} ms, heap ` +
      `${mb(before.heapUsedBytes)} → ${mb(peak.heapUsedBytes)} → ${mb(after.heapUsedBytes)} MB ` +
      `(${heapPerSocket.toFixed(1)} KiB/socket, ${retainedPerSocket.toFixed(2)} left), last closed ` +
      `${lateMs} ms past its timeout`,
  );
  const what = `socket that never sends connection_init (${round.sockets.toLocaleString('en-US')})`;
  context.report.add(
    { id: 'idle-memory/unauthenticated-heap', label: `${what}, server heap while open`, unit: 'KiB/socket' },
    system.definition.id,
    heapPerSocket,
    details,
  );
  context.report.add(
    {
      id: 'idle-memory/unauthenticated-retained',
      label: `${what}, server heap left once all closed with 4408`,
      unit: 'KiB/socket',
    },
    system.definition.id,
    retainedPerSocket,
    details,
  );
  context.report.add(
    {
      id: 'idle-memory/unauthenticated-close-lag',
      label: `${what}, last close past its connection_init timeout`,
      unit: 'ms',
    },
    system.definition.id,
    lateMs,
    details,
    round.sockets / ((openedAt - opening) / 1000),
  );
}
