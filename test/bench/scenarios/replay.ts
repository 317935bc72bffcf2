import { DevicePool } from '../lib/device-pool.js';
import { HttpLoad } from '../lib/http-load.js';
import {
  backlogMethod,
  connectWithCursors,
  QUIET_TIDINGS,
  type ReplayDevices,
  type ReplayResult,
  replayRound,
} from '../lib/replay.js';
import { isTidingsId } from '../systems/system.js';
import type { Scenario, ScenarioContext } from './scenario.js';
import { forEachSystem, installAll, type SystemUnderTest, tearDown } from './systems-under-test.js';

// Reconnect with a backlog: 1,000 devices (one per user) have each received something, disconnect,
// miss 100 changes each while they are away, and all reconnect at once with their cursors. The missed
// changes are written straight into the store by default (lib/replay.ts BacklogMethod: posting 100,000
// over HTTP would take minutes per round at Tidings' create rate; TIDINGS_BENCH_REPLAY_BACKLOG=post
// posts them instead); the replay is the same either way. Measured from the first reconnect until every device has every change it missed: wall time,
// server CPU, and Tidings' store operations per reconnect from GET /metrics (the posts and delivery
// marks left out; delivery-mark flushes and sweeps are off for this scenario). Tidings only: the other
// systems have no replay, so the figures are absolute.

const isTidings = (system: SystemUnderTest) => isTidingsId(system.definition.id);

export const replay: Scenario = {
  id: 'replay',
  title: 'Reconnect with a backlog: catch-up time, server CPU and store queries per reconnect',
  async run(context) {
    const devices = context.quick ? 100 : 1000;
    const changesPerDevice = context.quick ? 20 : 100;
    const warmUpChanges = context.quick ? 2 : 10;
    const rounds = context.rounds ?? (context.quick ? 1 : 3);
    const backlog = backlogMethod();
    context.report.parameters.replay = {
      backlog,
      devices,
      changesPerDevice,
      rounds,
      warmUpRounds: 1,
      warmUpChangesPerDevice: warmUpChanges,
      reconnectConcurrency: 100,
      postConnections: 32,
      tidingsSettings: QUIET_TIDINGS,
      storeCallsLeftOut: ['postNotification', 'recordDeliveryMarks'],
    };
    const log = (message: string) => context.environment.log(`replay: ${message}`);
    const users = Array.from({ length: devices }, (_, i) => `replay-${i}`);
    const systems = (await installAll(context, 'replay')).filter(isTidings);
    const load = HttpLoad.start('replay');
    const sessions = new Map<SystemUnderTest, ReplayDevices>();
    try {
      log(`starting Tidings; ${devices} devices each`);
      await forEachSystem(
        context,
        'replay',
        systems,
        async (system) => {
          const running = await system.installation.start({ env: QUIET_TIDINGS });
          system.running = running;
          const specs = await running.devices(users, 1);
          const pool = DevicePool.create(`${system.definition.id} replay`, devices);
          const session = { running, pool, specs, load, database: system.installation.database };
          sessions.set(system, session);
          await connectWithCursors(session, 'replay-first-');
        },
        { parallel: true },
      );
      const measure = async (system: SystemUnderTest, round: number) => {
        const session = sessions.get(system) as ReplayDevices;
        const result = await replayRound(session, {
          changesPerDevice: round === 0 ? warmUpChanges : changesPerDevice,
          keyPrefix: `replay-${round}-`,
          timeoutMs: 300_000,
          backlog,
        });
        log(
          `${system.definition.id}: ${result.devices} × ${result.changesPerDevice} caught up in ` +
            `${(result.cost.wallMs / 1000).toFixed(2)} s, server CPU ${(result.cost.cpuMicros / 1e6).toFixed(2)} s, ` +
            `store ${JSON.stringify(result.storeCalls)} (backlog ${result.backlog}ed in ${(result.backlogMs / 1000).toFixed(1)} s)`,
        );
        if (round > 0) record(context, system, round, result);
      };
      log('warm-up round');
      await forEachSystem(context, 'replay', systems, (system) => measure(system, 0));
      for (let round = 1; round <= rounds; round++) {
        log(`round ${round}/${rounds}`);
        await forEachSystem(context, 'replay', systems, (system) => measure(system, round), { round });
      }
    } finally {
      await load.stop();
      await Promise.all([...sessions.values()].map((session) => session.pool.stop()));
      await tearDown(systems);
    }
  },
};

function record(
  context: ScenarioContext,
  system: SystemUnderTest,
  round: number,
  result: ReplayResult,
): void {
  const id = system.definition.id;
  const { devices, changesPerDevice, cost } = result;
  const what = `${devices.toLocaleString('en-US')} devices reconnecting with ${changesPerDevice} changes missed each`;
  const details = { round, ...result };
  const changesPerSecond = (devices * changesPerDevice) / (cost.wallMs / 1000);
  context.report.add(
    { id: 'replay/catch-up', label: `${what}: time until all have caught up`, unit: 's' },
    id,
    cost.wallMs / 1000,
    details,
    changesPerSecond,
  );
  context.report.add(
    { id: 'replay/cpu-per-reconnect', label: `${what}: server CPU per reconnect`, unit: 'ms/reconnect' },
    id,
    cost.cpuMicros / 1000 / devices,
    details,
    changesPerSecond,
  );
  context.report.add(
    { id: 'replay/cpu-per-change', label: `${what}: server CPU per replayed change`, unit: 'µs/change' },
    id,
    cost.cpuMicros / (devices * changesPerDevice),
    details,
    changesPerSecond,
  );
  context.report.add(
    {
      id: 'replay/store-calls',
      label: `${what}: store operations per reconnect (GET /metrics; posts and delivery marks left out)`,
      unit: 'calls/reconnect',
      targetValue: 2,
    },
    id,
    result.storeCallsPerReconnect,
    details,
  );
}
