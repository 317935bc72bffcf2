import { LoadPool } from '../lib/load-pool.js';
import { type Cost, deliveryCost, ensureLive, serverCost, triggerAll, waitForIdle } from '../lib/measure.js';
import { NOTIFICATION_CHANGES } from '../lib/notification.js';
import type { RunningSystem } from '../systems/system.js';
import type { Scenario, ScenarioContext } from './scenario.js';
import { forEachSystem, installAll, type SystemUnderTest, tearDown } from './systems-under-test.js';

// Server CPU per delivered frame. Each variant opens its sockets on every system, makes sure they are
// live, warms up with unmeasured rounds, then measures rounds interleaving the systems. A round of one
// system measures (1) the trigger alone: notifications to a user with a device but no live socket, and
// (2) the delivery: the round's triggers, until every expected frame has arrived.

/**
 * Triggers every server has taken, in warm-up rounds, before its first measured round (a quick run: a
 * tenth). V8 optimises a request's path over its first few thousand requests: raw `ws` took 229, 166,
 * 116, then 37–67 µs per post and frame in the measured rounds after one warm-up round of 300 triggers
 * (25 rounds of users-10000, 2026-12-05), and Tidings 387, 420, 383, then mostly 309–349. Measured that
 * early, a round compares how fast each system compiles, not what it costs once running. Counted over the
 * run, not per variant: a variant after others finds the servers warm and warms up one round.
 */
const WARM_UP_TRIGGERS = 5_000;
/** ...unless a variant's warm-up would deliver more frames than this (1 user × 1,000 devices: 5 rounds). */
const WARM_UP_FRAMES = 500_000;

/** Triggers in flight at once, as an app service with a small connection pool would post. */
const TRIGGER_CONCURRENCY = 8;
/** Users whose sockets are checked live before measuring (all of them when fewer). */
const LIVENESS_SAMPLE = 200;

interface Variant {
  readonly id: string;
  readonly label: string;
  /** Users with live sockets, `perUser` sockets each. */
  readonly users: readonly string[];
  readonly perUser: number;
  /** The triggers of one measurement, and the frames expected per socket (or on each socket). */
  plan(round: number): { triggers: readonly string[]; expected: number | readonly number[]; frames: number };
}

const count = (n: number) => n.toLocaleString('en-US');

/** One user with `devices` sockets, `triggers` notifications to it per measurement. */
function oneUser(devices: number, triggers: number): Variant {
  const user = `solo-${devices}`;
  const all = Array.from({ length: triggers }, () => user);
  return {
    id: `devices-${devices}`,
    label: `1 user × ${count(devices)} device${devices === 1 ? '' : 's'}`,
    users: [user],
    perUser: devices,
    plan: () => ({ triggers: all, expected: triggers, frames: triggers * devices }),
  };
}

/**
 * `users` users with one socket each; each measurement sends one notification to each of `triggers` of
 * them, a different slice every round (the write per notification dominates: posting to all 10,000
 * every round would only make the run longer).
 */
function manyUsers(users: number, triggers: number): Variant {
  // The same names in every variant, so their device subscriptions are made once.
  const ids = Array.from({ length: users }, (_, i) => `user-${i}`);
  const perRound = Math.min(triggers, users);
  return {
    id: `users-${users}`,
    label: `${count(users)} users × 1 device`,
    users: ids,
    perUser: 1,
    plan(round) {
      const start = (round * perRound) % users;
      const chosen = new Set(Array.from({ length: perRound }, (_, i) => (start + i) % users));
      return {
        triggers: [...chosen].map((i) => ids[i] as string),
        expected: ids.map((_, i) => (chosen.has(i) ? 1 : 0)),
        frames: perRound,
      };
    },
  };
}

// Triggers per measurement: enough server CPU per measurement (≥ 0.1 s on the cheapest system) to make
// the probe's µs and the scheduler's noise small, few enough that Tidings' writes keep a full run short.
const FULL: readonly Variant[] = [
  oneUser(1, 1000),
  oneUser(10, 500),
  oneUser(100, 300),
  oneUser(1000, 100),
  manyUsers(1000, 300),
  manyUsers(5000, 300),
  manyUsers(10_000, 300),
];
const QUICK: readonly Variant[] = [oneUser(100, 100), manyUsers(200, 100)];

/**
 * The variants of this run: TIDINGS_BENCH_FANOUT_VARIANTS (ids, comma-separated, e.g. `users-10000`)
 * picks from the full and quick lists alike, in the order given; else the run's own list.
 * @throws Error for an id neither list has.
 */
function variantsOf(quick: boolean): readonly Variant[] {
  const picked = process.env.TIDINGS_BENCH_FANOUT_VARIANTS?.split(',').map((id) => id.trim());
  if (!picked?.some((id) => id !== '')) return quick ? QUICK : FULL;
  const known = [...FULL, ...QUICK];
  return picked
    .filter((id) => id !== '')
    .map((id) => {
      const found = known.find((variant) => variant.id === id);
      if (!found) {
        throw new Error(
          `TIDINGS_BENCH_FANOUT_VARIANTS: no variant ${id} (${known.map((v) => v.id).join(', ')}).`,
        );
      }
      return found;
    });
}

/** A system's sockets for one variant. */
interface Session {
  readonly running: RunningSystem;
  readonly pool: LoadPool;
}

export const fanout: Scenario = {
  id: 'fanout',
  title: 'Fan-out: server CPU per delivered frame',
  async run(context) {
    const variants = variantsOf(context.quick);
    const rounds = context.rounds ?? (context.quick ? 2 : 5);
    const ghostTriggers = context.quick ? 50 : 300;
    const share = context.quick ? 0.1 : 1;
    // How many warm-up rounds each variant got (it depends on the variants before it), for the JSON.
    const warmUpRounds: Record<string, number> = {};
    const warmUp = {
      triggers: WARM_UP_TRIGGERS * share,
      frames: WARM_UP_FRAMES * share,
      taken: 0,
      rounds: warmUpRounds,
    };
    context.report.parameters.fanout = {
      rounds,
      warmUpTriggers: warmUp.triggers,
      warmUpFramesAtMost: warmUp.frames,
      warmUpRounds,
      triggerConcurrency: TRIGGER_CONCURRENCY,
      ghostTriggers,
      variants: variants.map((v) => {
        const plan = v.plan(0);
        return {
          id: v.id,
          sockets: v.users.length * v.perUser,
          triggersPerMeasurement: plan.triggers.length,
          framesPerMeasurement: plan.frames,
        };
      }),
    };
    const systems = await installAll(context, 'fanout');
    try {
      context.environment.log('fanout: starting every system');
      await forEachSystem(
        context,
        'fanout',
        systems,
        async (system) => {
          system.running = await system.installation.start();
        },
        { parallel: true },
      );
      for (const variant of variants) {
        await runVariant(context, systems, variant, rounds, ghostTriggers, warmUp);
      }
    } finally {
      await tearDown(systems);
    }
  },
};

async function runVariant(
  context: ScenarioContext,
  systems: readonly SystemUnderTest[],
  variant: Variant,
  rounds: number,
  ghostTriggerCount: number,
  warmUp: {
    readonly triggers: number;
    readonly frames: number;
    taken: number;
    readonly rounds: Record<string, number>;
  },
): Promise<void> {
  const log = (message: string) => context.environment.log(`fanout ${variant.id}: ${message}`);
  const sockets = variant.users.length * variant.perUser;
  const ghost = `ghost-${variant.id}`;
  const socketUsers = variant.users.flatMap((user) => Array.from({ length: variant.perUser }, () => user));
  const step = Math.max(1, Math.floor(variant.users.length / LIVENESS_SAMPLE));
  const sample = new Set(variant.users.filter((_, i) => i % step === 0));
  const sessions = new Map<SystemUnderTest, Session>();

  /**
   * Round 0 and below warm up (not recorded); a warm-up round's users are those of a round after the last
   * (with few users, the slices wrap round and meet the measured ones: a post each to the same users).
   */
  const measure = async (system: SystemUnderTest, round: number) => {
    const session = sessions.get(system);
    if (!session) throw new Error('its sockets were not opened');
    const { running, pool } = session;
    const plan = variant.plan(round > 0 ? round : rounds - round + 1);
    const ghostTriggers = Array.from(
      { length: Math.min(ghostTriggerCount, plan.triggers.length) },
      () => ghost,
    );
    const trigger = await serverCost(running, () => triggerAll(running, ghostTriggers, TRIGGER_CONCURRENCY));
    const delivery = await deliveryCost(running, pool, plan.triggers, plan.expected, {
      concurrency: TRIGGER_CONCURRENCY,
      timeoutMs: 120_000 + plan.triggers.length * 20 + plan.frames * 0.2,
    });
    if (round > 0) {
      record(context, system, variant.id, variant.label, round, {
        ghost: { cost: trigger, triggers: ghostTriggers.length },
        delivery,
        triggers: plan.triggers.length,
        frames: plan.frames,
      });
    }
  };

  try {
    log(`opening ${count(sockets)} sockets on every system`);
    await forEachSystem(
      context,
      'fanout',
      systems,
      async (system) => {
        const running = system.running as RunningSystem;
        const specs = await running.devices(variant.users, variant.perUser);
        await running.devices([ghost], 1); // a device, never connected: the trigger-alone target
        const pool = LoadPool.create(`${system.definition.id} fanout`, sockets);
        sessions.set(system, { running, pool });
        // 10,000 handshakes (each a token to verify and a feed to open) on a busy shared machine take
        // minutes: the bound grows with the sockets, from the pool's 120 s.
        await pool.open(running.wsUrl, NOTIFICATION_CHANGES, specs, Math.max(120_000, sockets * 40));
        await waitForIdle(running);
        await ensureLive(running, pool, socketUsers, {
          concurrency: TRIGGER_CONCURRENCY,
          timeoutMs: 120_000,
          only: sample,
        });
        if (pool.sampleFrame && !context.report.sampleFrames.has(system.definition.id)) {
          context.report.sampleFrames.set(system.definition.id, pool.sampleFrame);
        }
      },
      { parallel: true },
    );
    // Every system takes the same triggers, so one count serves them all.
    const { triggers, frames } = variant.plan(0);
    const perRound = Math.min(ghostTriggerCount, triggers.length) + triggers.length;
    const warmUpRounds = Math.max(
      1,
      Math.min(Math.ceil((warmUp.triggers - warmUp.taken) / perRound), Math.floor(warmUp.frames / frames)),
    );
    warmUp.rounds[variant.id] = warmUpRounds;
    for (let round = 1; round <= warmUpRounds; round++) {
      log(`warm-up round ${round}/${warmUpRounds}`);
      await forEachSystem(context, 'fanout', systems, (system) => measure(system, 1 - round));
      warmUp.taken += perRound;
    }
    for (let round = 1; round <= rounds; round++) {
      log(`round ${round}/${rounds}`);
      await forEachSystem(context, 'fanout', systems, (system) => measure(system, round), { round });
      warmUp.taken += perRound;
    }
  } finally {
    await Promise.all(
      [...sessions.values()].map(async ({ pool }) => {
        await pool.closeSockets().catch(() => {});
        await pool.stop();
      }),
    );
  }
}

interface RoundCosts {
  readonly ghost: { readonly cost: Cost; readonly triggers: number };
  readonly delivery: Cost;
  readonly triggers: number;
  readonly frames: number;
}

/** Adds one round's gross, net and trigger-alone figures of a system. */
function record(
  context: ScenarioContext,
  system: SystemUnderTest,
  variantId: string,
  variantLabel: string,
  round: number,
  costs: RoundCosts,
): void {
  const id = system.definition.id;
  const { ghost, delivery, triggers, frames } = costs;
  const triggerMicros = ghost.cost.cpuMicros / ghost.triggers;
  const gross = delivery.cpuMicros / frames;
  const net = (delivery.cpuMicros - triggers * triggerMicros) / frames;
  const framesPerSecond = frames / (delivery.wallMs / 1000);
  const details = { variant: variantId, round, ...costs };
  const what = `${variantLabel}, server CPU per frame`;
  // Issue 14's targets: one user's devices, net of the write, ≤ 1.5× raw `ws`; many users with one device
  // each, where the write is the work, gross ≤ 3×.
  const manyUsers = variantId.startsWith('users-');
  context.report.add(
    {
      id: `fanout/${variantId}/gross`,
      label: `${what} (gross)`,
      unit: 'µs/frame',
      ...(manyUsers ? { targetRatio: 3 } : {}),
    },
    id,
    gross,
    details,
    framesPerSecond,
  );
  context.report.add(
    {
      id: `fanout/${variantId}/net`,
      label: `${what} (net of the trigger alone)`,
      unit: 'µs/frame',
      ...(manyUsers ? {} : { targetRatio: 1.5 }),
    },
    id,
    net,
    details,
    framesPerSecond,
  );
  context.report.add(
    {
      id: 'fanout/trigger-alone',
      label: 'trigger alone (a post to a user with no live device), server CPU',
      unit: 'µs/trigger',
    },
    id,
    triggerMicros,
    { variant: variantId, round, ...ghost },
    ghost.triggers / (ghost.cost.wallMs / 1000),
  );
}
