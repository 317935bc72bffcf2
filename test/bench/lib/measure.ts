import type { RunningSystem } from '../systems/system.js';
import type { LoadPool } from './load-pool.js';
import type { ProbeReading } from './server-process.js';
import { median } from './stats.js';
import { runConcurrently, sleep } from './time.js';

/** The server's CPU and the wall clock spent on one measured piece of work. */
export interface Cost {
  /** Server CPU, µs, from its own process.cpuUsage(). */
  readonly cpuMicros: number;
  /** The same from /proc/<pid>/stat (10 ms ticks): a cross-check. */
  readonly procCpuMicros: number;
  readonly wallMs: number;
}

/** Measures the server's CPU from just before `work` starts until it resolves. */
export async function serverCost(running: RunningSystem, work: () => Promise<void>): Promise<Cost> {
  const before = await running.probe();
  const started = performance.now();
  await work();
  const wallMs = performance.now() - started;
  const after = await running.probe();
  return {
    cpuMicros: after.cpuMicros - before.cpuMicros,
    procCpuMicros: after.procCpuMicros - before.procCpuMicros,
    wallMs,
  };
}

/** Triggers one notification per entry of `users` (repeats allowed), `concurrency` at a time. */
export const triggerAll = (running: RunningSystem, users: readonly string[], concurrency: number) =>
  runConcurrently(users.length, concurrency, (i) => running.trigger(users[i] as string));

/**
 * Server cost of triggering `users` and delivering every resulting frame: from before the first trigger
 * until the load clients have every expected frame (`expected` per socket, or `expected[i]` on socket i).
 */
export async function deliveryCost(
  running: RunningSystem,
  pool: LoadPool,
  users: readonly string[],
  expected: number | readonly number[],
  options: { concurrency: number; timeoutMs: number },
): Promise<Cost> {
  const { reached } = await pool.arm(expected, options.timeoutMs);
  return serverCost(running, async () => {
    await pool.orFailure(triggerAll(running, users, options.concurrency));
    await reached;
  });
}

/** Quick runs cap every wait for quiet (a smoke run: its figures are rough anyway). */
export const idleWait = { capMs: Number.POSITIVE_INFINITY };

/**
 * Waits until the server has gone quiet: under 3% of a CPU over two 250 ms samples in a row (e.g. it
 * has finished the subscriptions just opened), or `maxMs` passed.
 */
export async function waitForIdle(running: RunningSystem, maxMs = 30_000): Promise<void> {
  const deadline = Date.now() + Math.min(maxMs, idleWait.capMs);
  let last = (await running.probe()).cpuMicros;
  let quiet = 0;
  while (quiet < 2 && Date.now() < deadline) {
    await sleep(250);
    const now = (await running.probe()).cpuMicros;
    quiet = now - last < 0.03 * 250_000 ? quiet + 1 : 0;
    last = now;
  }
}

/**
 * Waits like {@link waitForIdle} and returns when (performance.now()) the quiet began: the start of the
 * first of the two quiet samples, so a busy stretch's end is known to a sample (250 ms).
 */
export async function quietSince(running: RunningSystem, maxMs = 30_000): Promise<number> {
  const deadline = Date.now() + maxMs;
  let last = (await running.probe()).cpuMicros;
  let sampledAt = performance.now();
  let quietFrom = sampledAt;
  let quiet = 0;
  while (quiet < 2 && Date.now() < deadline) {
    await sleep(250);
    const now = (await running.probe()).cpuMicros;
    const at = performance.now();
    if (now - last < 0.03 * (at - sampledAt) * 1000) {
      if (quiet === 0) quietFrom = sampledAt;
      quiet++;
    } else quiet = 0;
    last = now;
    sampledAt = at;
  }
  return quietFrom;
}

/**
 * Makes sure every socket's subscription is live before anything is measured: triggers each user once,
 * then again for users with a socket that has not had a frame yet (it subscribed after the trigger),
 * until all have; then waits until no more frames arrive. `socketUsers[i]` is the user of socket i;
 * `only` checks just those users' sockets (a sample).
 */
export async function ensureLive(
  running: RunningSystem,
  pool: LoadPool,
  socketUsers: readonly string[],
  options: { concurrency: number; timeoutMs: number; only?: ReadonlySet<string> },
): Promise<void> {
  const start = await pool.counts();
  const checked = options.only;
  const isChecked = (user: string) => checked === undefined || checked.has(user);
  let pending = [...new Set(socketUsers.filter(isChecked))];
  const deadline = Date.now() + options.timeoutMs;
  while (pending.length > 0) {
    if (Date.now() > deadline) {
      throw new Error(`${pending.length} users' sockets never received a frame (e.g. ${pending[0]})`);
    }
    await pool.orFailure(triggerAll(running, pending, options.concurrency));
    const retryAt = Date.now() + 1500;
    for (;;) {
      await sleep(100);
      const counts = await pool.counts();
      const silent = new Set(
        socketUsers.filter((user, i) => isChecked(user) && (counts[i] ?? 0) <= (start[i] ?? 0)),
      );
      pending = [...silent];
      if (pending.length === 0 || Date.now() > retryAt) break;
    }
  }
  await waitForQuiet(pool);
}

/** Waits until the pool receives nothing for 300 ms (frames of earlier triggers still arriving). */
export async function waitForQuiet(pool: LoadPool, maxMs = 30_000): Promise<void> {
  const total = async () => (await pool.counts()).reduce((sum, count) => sum + count, 0);
  const deadline = Date.now() + maxMs;
  let last = await total();
  for (;;) {
    await sleep(300);
    const now = await total();
    if (now === last || Date.now() > deadline) return;
    last = now;
  }
}

/** RSS after collecting garbage in the server, once it is idle: the median of three readings. */
export async function settledMemory(running: RunningSystem): Promise<ProbeReading> {
  await waitForIdle(running, 60_000);
  let reading = await running.probe({ gc: true });
  await sleep(300);
  const rss: number[] = [];
  for (let i = 0; i < 3; i++) {
    reading = await running.probe();
    rss.push(reading.rssBytes);
    await sleep(100);
  }
  return { ...reading, rssBytes: median(rss) };
}
