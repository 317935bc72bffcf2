import { DevicePool } from '../lib/device-pool.js';
import { postJson } from '../lib/http-client.js';
import { HttpLoad } from '../lib/http-load.js';
import { type Cost, serverCost, waitForIdle } from '../lib/measure.js';
import { NOTIFICATION_CHANGES } from '../lib/notification.js';
import {
  backlogMethod,
  connectWithCursors,
  QUIET_TIDINGS,
  type ReplayDevices,
  type ReplayResult,
  replayRound,
} from '../lib/replay.js';
import { countNotifications, type SeedResult, seed, seededUnsid } from '../lib/seed.js';
import { median } from '../lib/stats.js';
import {
  type DatabaseLocation,
  type Installation,
  isTidingsId,
  type RunningSystem,
} from '../systems/system.js';
import { CREATE_CONNECTIONS } from './create-rate.js';
import type { Scenario, ScenarioContext } from './scenario.js';
import { forEachSystem, type SystemUnderTest, stopRunning } from './systems-under-test.js';

// What a big installation costs: createNotification and the replay of a backlog, measured on a fresh
// installation of each Tidings (its own, not the run's shared one), first with (almost) nothing stored,
// then again in the same installation after seeding SEEDED notifications for other users straight into
// its database (lib/seed.ts: feeds, devices, notifications and their changes, consistent). Each phase
// starts the server afresh and warms it up, so both are measured alike. Figures: server CPU per
// mutation (closed loop, 32 connections, posts to users without a live device) and per replayed change
// (DEVICES devices missing CHANGES changes each reconnect with their cursors), and the ratio of the
// seeded to the empty figure, whose target is ≤ 1.2. Sweeps and delivery-mark flushes are off.

const ISSUER = 'urn:tidings:embedded';

interface Sizes {
  readonly seededFeeds: number;
  readonly perFeed: number;
  readonly creates: number;
  readonly devices: number;
  readonly changesPerDevice: number;
  readonly rounds: number;
}

interface PhaseResult {
  readonly creates: Array<{ readonly cost: Cost; readonly ok: number; readonly rate: number }>;
  readonly replays: ReplayResult[];
  readonly stored: number;
}

export const growth: Scenario = {
  id: 'growth',
  title: 'Growth: create and replay cost with nothing and with many notifications stored',
  async run(context) {
    const sizes: Sizes = context.quick
      ? { seededFeeds: 1000, perFeed: 100, creates: 100, devices: 10, changesPerDevice: 50, rounds: 1 }
      : { seededFeeds: 10_000, perFeed: 100, creates: 2000, devices: 100, changesPerDevice: 100, rounds: 3 };
    const rounds = context.rounds ?? sizes.rounds;
    const seeded = sizes.seededFeeds * sizes.perFeed;
    context.report.parameters.growth = {
      ...sizes,
      rounds,
      seededNotifications: seeded,
      connections: CREATE_CONNECTIONS,
      installation: 'a fresh one per Tidings, measured empty, then seeded, in the same installation',
      tidingsSettings: QUIET_TIDINGS,
      backlog: backlogMethod(),
    };
    const log = (message: string) => context.environment.log(`growth: ${message}`);
    const systems: SystemUnderTest[] = [];
    const load = HttpLoad.start('growth');
    try {
      const definitions = context.systems.filter((definition) => isTidingsId(definition.id));
      await Promise.all(
        definitions.map(async (definition) => {
          try {
            // A fresh installation (removed at the end, or by the runner's cleanup): the run's shared one
            // holds what earlier scenarios posted.
            const installation = await definition.install(context.environment);
            systems.push({ definition, installation, running: undefined, failed: false });
          } catch (error) {
            context.report.failures.push({
              scenario: 'growth',
              system: definition.id,
              message: String(error),
            });
          }
        }),
      );
      systems.sort((a, b) => definitions.indexOf(a.definition) - definitions.indexOf(b.definition));
      const empty = new Map<SystemUnderTest, PhaseResult>();
      const full = new Map<SystemUnderTest, PhaseResult>();
      const seeding = new Map<SystemUnderTest, SeedResult>();
      const pools = new Map<SystemUnderTest, DevicePool>();
      log(`measuring with nothing stored (${rounds} rounds)`);
      await forEachSystem(context, 'growth', systems, async (system) => {
        const pool = DevicePool.create(`${system.definition.id} growth`, sizes.devices);
        pools.set(system, pool);
        empty.set(system, await phase(context, system, pool, load, sizes, rounds, 'empty'));
      });
      log(`seeding ${seeded.toLocaleString('en-US')} notifications`);
      await forEachSystem(context, 'growth', systems, async (system) => {
        const result = await seed(system.installation.database as DatabaseLocation, {
          feeds: sizes.seededFeeds,
          perFeed: sizes.perFeed,
          issuer: ISSUER,
        });
        seeding.set(system, result);
        log(`${system.definition.id}: seeded in ${(result.ms / 1000).toFixed(1)} s`);
        context.report.add(
          {
            id: 'growth/seeding-time',
            label: `seeding ${seeded.toLocaleString('en-US')} notifications and their changes straight into the database`,
            unit: 's',
          },
          system.definition.id,
          result.ms / 1000,
          { ...result },
        );
      });
      log('measuring again, seeded');
      await forEachSystem(context, 'growth', systems, async (system) => {
        full.set(
          system,
          await phase(context, system, pools.get(system) as DevicePool, load, sizes, rounds, 'seeded'),
        );
      });
      for (const system of systems.filter((s) => !s.failed)) {
        const before = empty.get(system);
        const after = full.get(system);
        if (before && after) record(context, system, sizes, before, after);
      }
      await Promise.all([...pools.values()].map((pool) => pool.stop()));
    } finally {
      await load.stop();
      await Promise.all(systems.map((system) => stopRunning(system).catch(() => {})));
      await Promise.all(systems.map((system) => system.installation.dispose().catch(() => {})));
    }
  },
};

/** Starts the system afresh, warms it up, measures `rounds` rounds of creates and replays, stops it. */
async function phase(
  context: ScenarioContext,
  system: SystemUnderTest,
  pool: DevicePool,
  load: HttpLoad,
  sizes: Sizes,
  rounds: number,
  name: string,
): Promise<PhaseResult> {
  const installation: Installation = system.installation;
  const running: RunningSystem = await installation.start({ env: QUIET_TIDINGS });
  system.running = running;
  const template = running.triggerRequest;
  if (!template) throw new Error('no trigger request');
  const createUsers = Array.from({ length: context.quick ? 20 : 100 }, (_, i) => `growth-create-${i}`);
  const createTargets = (await running.devices(createUsers, 1)).map((spec) => spec.deviceSubscriptionId);
  const specs = await running.devices(
    Array.from({ length: sizes.devices }, (_, i) => `growth-replay-${i}`),
    1,
  );
  const session: ReplayDevices = { running, pool, specs, load, database: installation.database };
  // The first phase gives the devices their cursors; the second resumes them (nothing missed).
  if (name === 'empty') await connectWithCursors(session, `growth-${name}-first-`);
  else {
    await checkSeeded(running, sizes);
    await pool.open(running.wsUrl, NOTIFICATION_CHANGES, specs, { resume: true });
  }
  await waitForIdle(running, 30_000);

  const creates: PhaseResult['creates'] = [];
  const replays: ReplayResult[] = [];
  const create = async (round: number) => {
    let ok = 0;
    let wallMs = 1;
    const cost = await serverCost(running, async () => {
      const result = await load.closed({
        template,
        targets: createTargets,
        keyPrefix: `growth-${name}-${round}-`,
        connections: CREATE_CONNECTIONS,
        durationMs: 0,
        amount: round === 0 ? Math.ceil(sizes.creates / 2) : sizes.creates,
      });
      ok = result.ok;
      wallMs = result.wallMs;
    });
    await waitForIdle(running, 30_000);
    return { cost, ok, rate: ok / (wallMs / 1000) };
  };
  const replay = (round: number) =>
    replayRound(session, {
      changesPerDevice: round === 0 ? Math.min(5, sizes.changesPerDevice) : sizes.changesPerDevice,
      keyPrefix: `growth-${name}-replay-${round}-`,
      timeoutMs: 300_000,
      backlog: backlogMethod(),
    });
  try {
    await create(0);
    await replay(0);
    for (let round = 1; round <= rounds; round++) {
      creates.push(await create(round));
      replays.push(await replay(round));
    }
    await pool.closeSockets();
    const stored = await countNotifications(installation.database as DatabaseLocation);
    const perCreate = median(creates.map((c) => c.cost.cpuMicros / c.ok));
    const perChange = median(replays.map((r) => r.cost.cpuMicros / (r.devices * r.changesPerDevice)));
    context.environment.log(
      `growth: ${system.definition.id} ${name} (${stored.toLocaleString('en-US')} stored): ` +
        `${perCreate.toFixed(0)} µs per create, ${perChange.toFixed(0)} µs per replayed change`,
    );
    return { creates, replays, stored };
  } finally {
    await stopRunning(system);
  }
}

/**
 * Tidings reads a seeded feed as its own: the app lists a seeded user's notifications through that
 * user's seeded UNSID, newest first, and the feed's cursor is at its last seeded change.
 */
async function checkSeeded(running: RunningSystem, sizes: Sizes): Promise<void> {
  const headers = running.trivialRequest?.headers ?? {};
  const { status, body } = await postJson(
    running.url,
    {
      query: `query ($u: ID) { notifications(first: 2, deviceSubscriptionId: $u) {
        edges { node { appNotificationId status } } feedCursor } }`,
      variables: { u: seededUnsid(sizes.seededFeeds - 1) },
    },
    headers,
  );
  const page = body?.data?.notifications;
  const offset = page?.feedCursor ? Buffer.from(page.feedCursor, 'base64url').toString().split(':')[1] : null;
  const first = page?.edges?.[0]?.node?.appNotificationId;
  if (status !== 200 || first !== `seeded-${sizes.perFeed}` || offset !== String(sizes.perFeed)) {
    throw new Error(
      `Tidings does not read the seeded rows as expected: ${JSON.stringify(body).slice(0, 500)}`,
    );
  }
}

function record(
  context: ScenarioContext,
  system: SystemUnderTest,
  sizes: Sizes,
  before: PhaseResult,
  after: PhaseResult,
): void {
  const id = system.definition.id;
  const seeded = (sizes.seededFeeds * sizes.perFeed).toLocaleString('en-US');
  const perCreate = (p: PhaseResult) => p.creates.map((c) => c.cost.cpuMicros / c.ok);
  const perChange = (p: PhaseResult) =>
    p.replays.map((r) => r.cost.cpuMicros / (r.devices * r.changesPerDevice));
  const replayWhat = `${sizes.devices} devices × ${sizes.changesPerDevice} changes replayed`;
  const figures = [
    {
      key: 'create',
      what: 'createNotification, server CPU per mutation',
      unit: 'µs/mutation',
      of: perCreate,
    },
    { key: 'replay', what: `${replayWhat}, server CPU per change`, unit: 'µs/change', of: perChange },
  ];
  for (const { key, what, unit, of } of figures) {
    const empty = of(before);
    const full = of(after);
    const phases = [
      {
        values: empty,
        result: before,
        id: 'empty',
        label: `${what}, nothing stored (the bench's own rows only)`,
      },
      { values: full, result: after, id: 'seeded', label: `${what}, ${seeded} more notifications stored` },
    ];
    for (const phase of phases) {
      for (const [round, value] of phase.values.entries()) {
        const create = phase.result.creates[round];
        context.report.add(
          { id: `growth/${key}/${phase.id}`, label: phase.label, unit },
          id,
          value,
          {
            round,
            stored: phase.result.stored,
            phase: key === 'create' ? create : phase.result.replays[round],
          },
          key === 'create' ? create?.rate : undefined,
        );
      }
    }
    // Round i seeded over round i empty: the spread shows with the rounds.
    for (const [round, value] of full.entries()) {
      context.report.add(
        {
          id: `growth/${key}/ratio`,
          label: `${what}: seeded (${seeded}) over nothing stored`,
          unit: '×',
          targetValue: 1.2,
        },
        id,
        value / (empty[round] ?? Number.NaN),
        { round, empty: empty[round], seeded: value, storedBefore: before.stored, storedAfter: after.stored },
      );
    }
  }
}
