import { mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../../src/config/config.js';
import { POSTGRES_POST_BATCHES_IN_FLIGHT } from '../../../src/store/feed-log.js';
import {
  type CommitFloor,
  type CommitFloorResult,
  postgresCommitFloor,
  sqliteCommitFloor,
} from '../lib/commit-floor.js';
import { DevicePool } from '../lib/device-pool.js';
import { HttpLoad, type OpenLoopResult } from '../lib/http-load.js';
import { type Cost, serverCost, waitForIdle } from '../lib/measure.js';
import { connectWithCursors, type ReplayDevices } from '../lib/replay.js';
import { summarize } from '../lib/stats.js';
import { isTidingsId, type RunningSystem, type SystemId } from '../systems/system.js';
import { CREATE_CONNECTIONS, sustainedCreateRates } from './create-rate.js';
import type { Scenario, ScenarioContext } from './scenario.js';
import { forEachSystem, installAll, type SystemUnderTest, tearDown } from './systems-under-test.js';

// Create → receive latency at a fixed offered load below saturation: USERS users with one live device
// each; an app posts to them round robin at a steady rate, open loop (each post is due at its own time,
// whether or not earlier ones have been answered), and each device stamps the receipt of every change.
// A post's latency runs from when it was due to when its device received it, both on the machine's
// monotonic clock (the poster and the devices are separate client processes on the client CPU). Tidings
// posts createNotification; the comparison servers, as a reference, their POST /publish.
//
// The rate: at most ISSUE_RATE (the issue's example), and at most half of what Tidings sustains, closed
// loop at 32 connections (from the create-rate scenario of the same run, or measured here first).

const ISSUE_RATE = 1000;
/** How long the measurement at ISSUE_RATE lasts, when the main rate is below it. */
const BURST_SECONDS = 3;
/** The rate is at most this share of the slowest Tidings' sustained create rate. */
const HEADROOM = 0.5;

const isTidings = (system: SystemUnderTest) => isTidingsId(system.definition.id);

/** The rate TIDINGS_BENCH_LATENCY_RATE chooses (posts per second), or null. */
function chosenRate(): number | null {
  const text = process.env.TIDINGS_BENCH_LATENCY_RATE;
  if (text === undefined || text === '') return null;
  const value = Number(text);
  if (!(Number.isFinite(value) && value > 0))
    throw new Error('TIDINGS_BENCH_LATENCY_RATE must be a positive number');
  return value;
}

/** A round number rate below `limit`: 1, 2 or 5 × a power of ten. */
function roundRate(limit: number): number {
  const power = 10 ** Math.floor(Math.log10(Math.max(1, limit)));
  const step = [5, 2, 1].find((m) => m * power <= limit) ?? 1;
  return Math.max(1, step * power);
}

export const latency: Scenario = {
  id: 'latency',
  title: 'Create → receive latency at a fixed rate below saturation (open loop)',
  async run(context) {
    const users = Array.from({ length: context.quick ? 20 : 100 }, (_, i) => `latency-${i}`);
    const seconds = context.quick ? 2 : 10;
    const rounds = context.rounds ?? (context.quick ? 1 : 3);
    const log = (message: string) => context.environment.log(`latency: ${message}`);
    const systems = await installAll(context, 'latency');
    const load = HttpLoad.start('latency');
    const sessions = new Map<SystemUnderTest, ReplayDevices>();
    const floors = new Map<FloorId, CommitFloor>();
    try {
      log('starting every system');
      await forEachSystem(
        context,
        'latency',
        systems,
        async (system) => {
          const running = await system.installation.start();
          system.running = running;
          const specs = await running.devices(users, 1);
          const pool = DevicePool.create(`${system.definition.id} latency`, specs.length);
          const session = { running, pool, specs, load };
          sessions.set(system, session);
          await connectWithCursors(session, 'latency-live-', { stamp: true });
        },
        { parallel: true },
      );

      // What Tidings sustains, closed loop: from create-rate if it ran, else measured now; unless the rate
      // is chosen (TIDINGS_BENCH_LATENCY_RATE), e.g. to compare runs at one rate whatever the load allows.
      const sustained = new Map(sustainedCreateRates);
      const chosen = chosenRate();
      for (const system of systems.filter((s) => isTidings(s) && !s.failed)) {
        if (chosen !== null || sustained.has(system.definition.id)) continue;
        const running = system.running as RunningSystem;
        // A user whose device is never connected: the post alone, as create-rate measures it.
        const ghost = await running.devices(['latency-ghost'], 1);
        const result = await load.closed({
          template: running.triggerRequest as NonNullable<RunningSystem['triggerRequest']>,
          targets: ghost.map((spec) => spec.deviceSubscriptionId),
          keyPrefix: 'latency-probe-',
          connections: CREATE_CONNECTIONS,
          durationMs: context.quick ? 1000 : 3000,
        });
        sustained.set(system.definition.id, result.ok / (result.wallMs / 1000));
        await waitForIdle(running, 30_000);
      }
      const slowest = Math.min(...sustained.values());
      const rate =
        chosen ?? roundRate(Math.min(ISSUE_RATE, Number.isFinite(slowest) ? slowest * HEADROOM : ISSUE_RATE));
      const count = Math.max(100, Math.round(rate * seconds));
      log(
        `Tidings sustains ${[...sustained].map(([id, r]) => `${id} ${r.toFixed(0)}/s`).join(', ')} ` +
          `(closed loop, ${CREATE_CONNECTIONS} connections): offering ${rate}/s, ${count} posts per measurement`,
      );
      context.report.parameters.latency = {
        users: users.length,
        devicesPerUser: 1,
        rate,
        postsPerMeasurement: count,
        rounds,
        warmUpRounds: 1,
        sustainedCreateRates: Object.fromEntries(sustained),
        rateRule:
          chosen !== null
            ? 'TIDINGS_BENCH_LATENCY_RATE'
            : `min(${ISSUE_RATE}, ${HEADROOM} × the slowest Tidings' sustained create rate), rounded down`,
        peak: rate < ISSUE_RATE ? { rate: ISSUE_RATE, seconds: context.quick ? 0.5 : BURST_SECONDS } : null,
        maxConnections: 64,
        latencyFrom: 'when each post was due (open loop) to its receipt by the device (monotonic clock)',
        commitFloor:
          'bare-driver-*: one small insert committed per post, open loop at the same rates, due → committed ' +
          `(better-sqlite3 with the store's pragmas; node-postgres on ${POSTGRES_POST_BATCHES_IN_FLIGHT} connections, the server's synchronous_commit)`,
      };
      // Nothing may be left in flight between the set-up and the first measurement.
      for (const session of sessions.values()) await session.pool.takeStamps();
      await openCommitFloors(context, systems, floors);

      const measure = async (system: SystemUnderTest, round: number) => {
        const session = sessions.get(system) as ReplayDevices;
        const n = round === 0 ? Math.min(count, Math.max(50, Math.round(rate / 2))) : count;
        const result = await measureLatency(session, rate, n, `latency-${round}-`);
        await waitForIdle(session.running, 30_000);
        if (round > 0) record(context, system, round, rate, result);
        dumpPosts(session.running, system, round, rate, result);
        // The issue's rate as well, whatever Tidings sustains: a shorter burst, as an app's peak would be.
        // Past saturation the open loop queues, and the figure shows by how much.
        if (round > 0 && rate < ISSUE_RATE) {
          const burst = Math.round(ISSUE_RATE * (context.quick ? 0.5 : BURST_SECONDS));
          const peak = await measureLatency(session, ISSUE_RATE, burst, `latency-${round}-peak-`);
          await waitForIdle(session.running, 30_000);
          record(context, system, round, ISSUE_RATE, peak, `-at-${ISSUE_RATE}`);
          dumpPosts(session.running, system, round, ISSUE_RATE, peak);
        }
      };
      // The disk's own floor at the same rates, after the systems in each round (nothing else runs then).
      const measureFloors = async (round: number) => {
        for (const [id, floor] of floors) {
          const n = round === 0 ? Math.min(count, Math.max(50, Math.round(rate / 2))) : count;
          const result = await floor.measure(rate, n);
          if (round === 0) continue;
          recordFloor(context, id, round, rate, result);
          if (rate < ISSUE_RATE) {
            const burst = Math.round(ISSUE_RATE * (context.quick ? 0.5 : BURST_SECONDS));
            recordFloor(
              context,
              id,
              round,
              ISSUE_RATE,
              await floor.measure(ISSUE_RATE, burst),
              `-at-${ISSUE_RATE}`,
            );
          }
        }
      };
      log('warm-up round');
      await forEachSystem(context, 'latency', systems, (system) => measure(system, 0));
      await measureFloors(0);
      for (let round = 1; round <= rounds; round++) {
        log(`round ${round}/${rounds}`);
        await forEachSystem(context, 'latency', systems, (system) => measure(system, round), { round });
        await measureFloors(round);
      }
    } finally {
      await Promise.all([...floors.values()].map((floor) => floor.close()));
      await load.stop();
      await Promise.all([...sessions.values()].map((session) => session.pool.stop()));
      await tearDown(systems);
    }
  },
};

interface LatencyResult {
  /** Due → received, ms, one per post. */
  readonly latenciesMs: number[];
  /** Due → answered over HTTP, ms. */
  readonly answerMs: number[];
  /** How late the poster sent (due → sent), ms: the client's own lateness. */
  readonly sendLatenessMs: number[];
  readonly sendRate: number;
  readonly cost: Cost;
  /** Each post's stamps on the monotonic clock, µs: when it was due, sent, answered and received. */
  readonly posts: {
    readonly dueMicros: number[];
    readonly sentMicros: number[];
    readonly answeredMicros: number[];
    readonly receivedMicros: number[];
  };
}

/**
 * With TIDINGS_BENCH_LATENCY_DUMP=<dir>: every measurement's per-post stamps as JSON in that directory,
 * to see when in a burst the slow posts fall, beside the server's own timeline on the same clock
 * (TIDINGS_BENCH_LOOP_TRACE, lib/loop-trace.ts, by the server's pid); latency-dump-summary.ts reads both.
 */
function dumpPosts(
  running: RunningSystem,
  system: SystemUnderTest,
  round: number,
  rate: number,
  result: LatencyResult,
): void {
  const dir = process.env.TIDINGS_BENCH_LATENCY_DUMP;
  if (dir === undefined || dir === '') return;
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${system.definition.id}-round${round}-${rate}.json`);
  const { id } = system.definition;
  writeFileSync(file, JSON.stringify({ system: id, pid: running.pid, round, rate, ...result.posts }));
}

async function measureLatency(
  session: ReplayDevices,
  rate: number,
  count: number,
  keyPrefix: string,
): Promise<LatencyResult> {
  const { running, pool, specs, load } = session;
  const template = running.triggerRequest;
  if (!template) throw new Error('the system has no trigger request');
  const { reached } = await pool.arm(count, 60_000 + (count / rate) * 2000);
  let posted: OpenLoopResult | undefined;
  const cost = await serverCost(running, async () => {
    posted = await pool.orFailure(
      load.open({
        template,
        targets: specs.map((spec) => spec.deviceSubscriptionId),
        keyPrefix,
        rate,
        count,
        maxConnections: 64,
      }),
    );
    await reached;
  });
  const sent = posted as OpenLoopResult;
  const received = new Map(
    (await pool.takeStamps()).filter(([key]) => key.startsWith(keyPrefix)).map(([key, at]) => [key, at]),
  );
  const due = (i: number) => sent.startMicros + i * sent.intervalMicros;
  const latenciesMs: number[] = [];
  const receivedMicros: number[] = [];
  for (let i = 0; i < count; i++) {
    const at = received.get(`${keyPrefix}${i}`);
    if (at === undefined) throw new Error(`post ${i} was never received`);
    latenciesMs.push((at - due(i)) / 1000);
    receivedMicros.push(at);
  }
  const span = ((sent.sentMicros[count - 1] ?? 0) - (sent.sentMicros[0] ?? 0)) / 1e6;
  return {
    latenciesMs,
    answerMs: sent.answeredMicros.map((at, i) => (at - due(i)) / 1000),
    sendLatenessMs: sent.sentMicros.map((at, i) => (at - due(i)) / 1000),
    sendRate: span > 0 ? (count - 1) / span : rate,
    cost,
    posts: {
      dueMicros: Array.from({ length: count }, (_, i) => due(i)),
      sentMicros: sent.sentMicros,
      answeredMicros: sent.answeredMicros,
      receivedMicros,
    },
  };
}

/** The q-quantile (nearest rank) of unsorted values. */
function percentile(values: readonly number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] as number;
}

/** The p50 and p99 rows of one system's measurement at `rate`, Tidings', the others' and the floors' alike. */
function addLatencyRows(
  context: ScenarioContext,
  id: SystemId | FloorId,
  rate: number,
  idSuffix: string,
  latency: { readonly p50: number; readonly p99: number },
  details: Record<string, unknown>,
  sendRate: number,
): void {
  const what = `create → receive latency at ${rate}/s offered (open loop, 1 device per user; Tidings: createNotification, others: POST /publish)`;
  for (const quantile of ['p50', 'p99'] as const) {
    context.report.add(
      { id: `latency/${quantile}${idSuffix}`, label: `${what}, ${quantile}`, unit: 'ms' },
      id,
      latency[quantile],
      details,
      sendRate,
    );
  }
}

/**
 * A p99 in the row of its provider's commit floor (the floor's own, and its Tidings' beside it): the
 * ratio says how far above what the disk alone costs a post the tail sits.
 */
function addOverFloorRow(
  context: ScenarioContext,
  id: SystemId | FloorId,
  floor: FloorId,
  rate: number,
  idSuffix: string,
  p99: number,
  details: Record<string, unknown>,
  sendRate: number,
): void {
  context.report.add(
    {
      id: `latency/p99-over-commit-floor${idSuffix}/${floor.replace('bare-driver-', '')}`,
      label: `create → receive p99 at ${rate}/s beside the bare driver's commit p99`,
      unit: 'ms',
      reference: floor,
    },
    id,
    p99,
    details,
    sendRate,
  );
}

function record(
  context: ScenarioContext,
  system: SystemUnderTest,
  round: number,
  rate: number,
  result: LatencyResult,
  /** Set apart the figures of a measurement at another rate than the scenario's own. */
  idSuffix = '',
): void {
  const id = system.definition.id;
  const p50 = percentile(result.latenciesMs, 0.5);
  const p99 = percentile(result.latenciesMs, 0.99);
  const posts = result.latenciesMs.length;
  const details = {
    round,
    rate,
    posts,
    p50,
    p99,
    max: Math.max(...result.latenciesMs),
    answer: { p50: percentile(result.answerMs, 0.5), p99: percentile(result.answerMs, 0.99) },
    sendLateness: {
      p50: percentile(result.sendLatenessMs, 0.5),
      p99: percentile(result.sendLatenessMs, 0.99),
    },
    sendRate: result.sendRate,
    cost: result.cost,
    cpuPerPostMicros: result.cost.cpuMicros / posts,
    latencySummary: summarize(result.latenciesMs),
  };
  addLatencyRows(context, id, rate, idSuffix, { p50, p99 }, details, result.sendRate);
  // The same p99 beside its provider's commit floor (recorded by recordFloor under the same id): the
  // ratio says how far above what the disk alone costs a post Tidings' tail sits.
  const floor = floorOf(id);
  if (floor) addOverFloorRow(context, id, floor, rate, idSuffix, p99, details, result.sendRate);
}

type FloorId = Extract<SystemId, 'bare-driver-sqlite' | 'bare-driver-postgres'>;

/** The floor each Tidings of the run sits on: its provider's bare driver. */
const floorOf = (id: SystemId): FloorId | null =>
  id.startsWith('tidings-sqlite')
    ? 'bare-driver-sqlite'
    : id.startsWith('tidings-postgres')
      ? 'bare-driver-postgres'
      : null;

/** Opens the commit floor of every provider a Tidings of the run uses. */
async function openCommitFloors(
  context: ScenarioContext,
  systems: readonly SystemUnderTest[],
  floors: Map<FloorId, CommitFloor>,
): Promise<void> {
  const wanted = new Set(systems.filter((s) => !s.failed).flatMap((s) => floorOf(s.definition.id) ?? []));
  if (wanted.has('bare-driver-sqlite')) {
    // The store's configured durability (synchronous=FULL unless TIDINGS_SQLITE_SYNCHRONOUS says else).
    const { sqliteSynchronous } = loadConfig({}, { dataDir: tmpdir() });
    floors.set('bare-driver-sqlite', sqliteCommitFloor(sqliteSynchronous));
  }
  if (wanted.has('bare-driver-postgres')) {
    floors.set(
      'bare-driver-postgres',
      await postgresCommitFloor(context.environment.postgresUrl, POSTGRES_POST_BATCHES_IN_FLIGHT),
    );
  }
}

function recordFloor(
  context: ScenarioContext,
  id: FloorId,
  round: number,
  rate: number,
  result: CommitFloorResult,
  idSuffix = '',
): void {
  const p50 = percentile(result.latenciesMs, 0.5);
  const p99 = percentile(result.latenciesMs, 0.99);
  const details = {
    round,
    rate,
    posts: result.latenciesMs.length,
    p50,
    p99,
    max: Math.max(...result.latenciesMs),
    sendLateness: {
      p50: percentile(result.sendLatenessMs, 0.5),
      p99: percentile(result.sendLatenessMs, 0.99),
    },
    sendRate: result.sendRate,
    latencySummary: summarize(result.latenciesMs),
  };
  // Rows of the systems' own figures (their ratio: the disk's share of raw ws's tail), and the reference
  // of the provider's Tidings beside it.
  addLatencyRows(context, id, rate, idSuffix, { p50, p99 }, details, result.sendRate);
  addOverFloorRow(context, id, id, rate, idSuffix, p99, details, result.sendRate);
}
