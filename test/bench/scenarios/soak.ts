import { LoadPool } from '../lib/load-pool.js';
import { ensureLive, settledMemory, waitForIdle } from '../lib/measure.js';
import { NOTIFICATION_CHANGES } from '../lib/notification.js';
import type { LoopDelay } from '../lib/probe-messages.js';
import { sleep } from '../lib/time.js';
import { isTidingsId, type RunningSystem } from '../systems/system.js';
import type { Scenario, ScenarioContext } from './scenario.js';
import {
  forEachSystem,
  installAll,
  type SystemUnderTest,
  stopRunning,
  tearDown,
} from './systems-under-test.js';

// The soak: N idle subscribed sockets (one device per user, the idle-memory scenario's users) and a
// steady post rate for minutes, on Tidings and on the raw `ws` server as the baseline (the comparison
// GraphQL servers are left out: the question is whether Tidings holds steady, not how it ranks). Posts
// go round robin over the users, open loop (each due at its own time), so every socket knows how many
// frames it must get. Every SAMPLE_MS the server's RSS and its event-loop delay over the interval (the
// probe's monitorEventLoopDelay, the same on every server) are read; at the end, every frame must have
// arrived, and RSS after a full collection is compared with the same reading before the first post.
// Opt-in (--only=soak): the full soak is 3 minutes per system plus 10,000 sockets to open on each.

const LIVE = { concurrency: 8, timeoutMs: 120_000 };
/** Users whose sockets are checked live before the soak (every socket is counted at the end). */
const CHECKED_USERS = 100;
/** Posts in flight at most: past it the poster falls behind, and says by how much. */
const MAX_IN_FLIGHT = 64;

const setting = (name: string, fallback: number): number => {
  const value = Number(process.env[name] ?? fallback);
  if (!(Number.isFinite(value) && value > 0)) throw new Error(`${name} must be a positive number`);
  return value;
};

interface Sample {
  /** Seconds since the first post was due. */
  readonly atS: number;
  readonly rssBytes: number;
  readonly heapUsedBytes: number;
  readonly loopDelay: LoopDelay | undefined;
  readonly posted: number;
  readonly delivered: number;
}

interface SoakPlan {
  readonly users: readonly string[];
  readonly checked: ReadonlySet<string>;
  readonly rate: number;
  readonly seconds: number;
  readonly sampleMs: number;
  readonly log: (message: string) => void;
}

export const soak: Scenario = {
  id: 'soak',
  title: 'Soak: idle sockets under a steady post rate (RSS and event-loop delay over time)',
  optIn: true,
  async run(context) {
    const sockets = Math.round(setting('TIDINGS_BENCH_SOAK_SOCKETS', context.quick ? 1000 : 10_000));
    const seconds = setting('TIDINGS_BENCH_SOAK_SECONDS', context.quick ? 30 : 180);
    const rate = setting('TIDINGS_BENCH_SOAK_RATE', 50);
    const sampleMs = context.quick ? 5000 : 10_000;
    context.report.parameters.soak = { sockets, devicesPerUser: 1, seconds, rate, sampleMs };
    const users = Array.from({ length: sockets }, (_, i) => `user-${i}`);
    const checked = new Set(users.filter((_, i) => i % Math.ceil(sockets / CHECKED_USERS) === 0));
    const log = (message: string) => context.environment.log(`soak: ${message}`);
    const systems = (await installAll(context, 'soak')).filter(
      (s) => s.definition.id === 'raw-ws' || isTidingsId(s.definition.id),
    );
    const plan: SoakPlan = { users, checked, rate, seconds, sampleMs, log };
    try {
      // One system at a time: each has the server CPU to itself for its whole soak.
      await forEachSystem(context, 'soak', systems, async (system) => {
        const pool = LoadPool.create(`${system.definition.id} soak`, sockets);
        try {
          await soakOne(context, system, pool, plan);
        } finally {
          await pool.stop();
          await stopRunning(system);
        }
      });
    } finally {
      await tearDown(systems);
    }
  },
};

async function soakOne(
  context: ScenarioContext,
  system: SystemUnderTest,
  pool: LoadPool,
  plan: SoakPlan,
): Promise<void> {
  const { users, rate, seconds, log } = plan;
  const id = system.definition.id;
  const running = await system.installation.start();
  system.running = running;
  log(`${id}: opening ${users.length} sockets`);
  const specs = await running.devices(users, 1);
  await pool.open(running.wsUrl, NOTIFICATION_CHANGES, specs);
  await waitForIdle(running, 60_000);
  await ensureLive(running, pool, users, { ...LIVE, only: plan.checked });
  const start = await settledMemory(running);

  // Posts round robin over the users: socket i (user i) expects every post whose index ≡ i mod N.
  const count = Math.round(rate * seconds);
  const expected = users.map((_, i) => Math.floor(count / users.length) + (i < count % users.length ? 1 : 0));
  const before = await pool.counts();
  const { reached } = await pool.arm(expected, seconds * 1000 + 120_000);
  reached.catch(() => {}); // awaited below; a failure meanwhile must not go unhandled
  await running.probe({ loopDelay: true }); // starts the server's event-loop delay monitor
  const samples: Sample[] = [];
  const startedAt = performance.now();
  const posting = postSteadily(running, users, rate, count, startedAt);
  const sample = async () => {
    const reading = await running.probe({ loopDelay: true });
    const counts = await pool.counts();
    const delivered = counts.reduce((sum, n, i) => sum + n - (before[i] ?? 0), 0);
    const s: Sample = {
      atS: (performance.now() - startedAt) / 1000,
      rssBytes: reading.rssBytes,
      heapUsedBytes: reading.heapUsedBytes,
      loopDelay: reading.loopDelay,
      posted: posting.posted(),
      delivered,
    };
    samples.push(s);
    log(
      `${id} ${s.atS.toFixed(0)} s: RSS ${mb(s.rssBytes)} MB, loop delay p99 ${ms(s.loopDelay?.p99Ms)} ` +
        `max ${ms(s.loopDelay?.maxMs)}, posted ${s.posted}, frames ${s.delivered}`,
    );
  };
  let done = false;
  const sampler = (async () => {
    while (!done) {
      await sleep(plan.sampleMs - ((performance.now() - startedAt) % plan.sampleMs));
      if (!done) await sample();
    }
  })();
  let failure: Error | undefined;
  try {
    await pool.orFailure(posting.done);
    await reached;
  } catch (error) {
    failure = error as Error;
  } finally {
    done = true;
    await sampler;
  }
  await sample(); // the last interval, up to the last frame (or the failure)
  const last = samples[samples.length - 1] as Sample;
  const end = await settledMemory(running);
  await pool.closeSockets();

  // Growth under the same load, first interval to last: the settled reading before the first post still
  // holds what opening the sockets freed and the process had not returned yet, so it reads high.
  const first = samples[0] ?? last;
  const growthMiB = (last.rssBytes - first.rssBytes) / 2 ** 20;
  const slopeMiBPerMinute = rssSlope(samples) * 60;
  const intervals = samples.map((s) => s.loopDelay).filter((d): d is LoopDelay => (d?.samples ?? 0) > 0);
  const worstP99 = Math.max(0, ...intervals.map((d) => d.p99Ms));
  const worstMax = Math.max(0, ...intervals.map((d) => d.maxMs));
  const details = {
    sockets: users.length,
    rate,
    seconds,
    posts: count,
    expectedFrames: count,
    deliveredFrames: last.delivered,
    postsLate: posting.late(),
    postingSeconds: posting.seconds(),
    rssFirstInterval: first.rssBytes,
    rssLastInterval: last.rssBytes,
    slopeMiBPerMinute,
    rssStart: start.rssBytes,
    rssEnd: end.rssBytes,
    heapUsedStart: start.heapUsedBytes,
    heapUsedEnd: end.heapUsedBytes,
    samples,
  };
  log(
    `${id}: RSS ${mb(first.rssBytes)} → ${mb(last.rssBytes)} MB under load (${growthMiB.toFixed(1)} MiB, ` +
      `${slopeMiBPerMinute.toFixed(2)} MiB/min fitted), settled ${mb(start.rssBytes)} → ${mb(end.rssBytes)} MB, ` +
      `loop delay p99 per interval ${intervals.map((d) => d.p99Ms.toFixed(1)).join(' ')} ms ` +
      `(worst max ${worstMax.toFixed(1)} ms), frames ${last.delivered}/${count}`,
  );
  const what = `soak, ${users.length.toLocaleString('en-US')} idle sockets, ${rate} posts/s for ${seconds} s`;
  const add = (suffix: string, label: string, unit: string, value: number, extra = {}) =>
    context.report.add(
      { id: `soak/${suffix}`, label: `${what}: ${label}`, unit, ...extra },
      system.definition.id,
      value,
      details,
    );
  add('rss-growth', 'server RSS growth under load, last interval − first', 'MiB', growthMiB);
  add(
    'rss-slope',
    'server RSS trend under load (least squares over the intervals)',
    'MiB/min',
    slopeMiBPerMinute,
  );
  add('rss-end', 'server RSS at the end, settled', 'MiB', end.rssBytes / 2 ** 20);
  add('loop-delay-p99', 'event-loop delay, worst interval p99', 'ms', worstP99);
  add('loop-delay-max', 'event-loop delay, max', 'ms', worstMax);
  add('delivered', 'frames delivered / expected', 'ratio', last.delivered / count, {
    higherIsBetter: true,
    targetValue: 1,
  });
  if (failure) throw failure;
  if (last.delivered !== count) throw new Error(`${last.delivered} of ${count} frames delivered`);
}

/** Posts `count` triggers at `rate`, open loop: post i is due at start + i / rate, whatever the answers. */
function postSteadily(
  running: RunningSystem,
  users: readonly string[],
  rate: number,
  count: number,
  start: number,
) {
  let posted = 0;
  let late = 0;
  let finishedAt = start;
  let inFlight = 0;
  const settled: Promise<void>[] = [];
  const done = (async () => {
    for (let i = 0; i < count; i++) {
      const wait = start + (i * 1000) / rate - performance.now();
      if (wait > 0) await sleep(wait);
      while (inFlight >= MAX_IN_FLIGHT) await sleep(1);
      if (performance.now() - (start + (i * 1000) / rate) > 100) late++;
      inFlight++;
      settled.push(
        running.trigger(users[i % users.length] as string).finally(() => {
          inFlight--;
          posted++;
        }),
      );
    }
    await Promise.all(settled);
    finishedAt = performance.now();
  })();
  return {
    done,
    posted: () => posted,
    /** Posts sent more than 100 ms after they were due. */
    late: () => late,
    seconds: () => (finishedAt - start) / 1000,
  };
}

/** The least-squares slope of RSS over time, bytes/s → MiB/s (0 with fewer than two samples). */
function rssSlope(samples: readonly Sample[]): number {
  if (samples.length < 2) return 0;
  const n = samples.length;
  const meanT = samples.reduce((sum, s) => sum + s.atS, 0) / n;
  const meanR = samples.reduce((sum, s) => sum + s.rssBytes, 0) / n;
  let covariance = 0;
  let variance = 0;
  for (const s of samples) {
    covariance += (s.atS - meanT) * (s.rssBytes - meanR);
    variance += (s.atS - meanT) ** 2;
  }
  return variance > 0 ? covariance / variance / 2 ** 20 : 0;
}

const mb = (bytes: number) => (bytes / 2 ** 20).toFixed(1);
const ms = (value: number | undefined) => (value === undefined ? '?' : `${value.toFixed(1)} ms`);
