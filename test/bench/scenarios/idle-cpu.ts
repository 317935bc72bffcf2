import { serverCost, waitForIdle } from '../lib/measure.js';
import { sleep } from '../lib/time.js';
import type { RunningSystem } from '../systems/system.js';
import type { Scenario } from './scenario.js';
import { forEachSystem, installAll, tearDown } from './systems-under-test.js';

// What a gateway costs doing nothing: no socket, no request, only its own timers (Tidings: the
// sweeper's pass every 5 s, the delivery-marks flush every second). The servers idle at the same time:
// nothing else runs, so they do not disturb each other. The figure is the share of one CPU.

/** An idle gateway should cost less than this share of one CPU, in percent (issue 14). */
const TARGET_PERCENT = 0.2;

export const idleCpu: Scenario = {
  id: 'idle-cpu',
  title: "An idle server's CPU (its own timers only)",
  async run(context) {
    const rounds = context.rounds ?? (context.quick ? 1 : 3);
    // Covers at least one sweeper pass (every 5 s) in quick mode, several in a full run.
    const windowMs = context.quick ? 6000 : 20_000;
    context.report.parameters['idle-cpu'] = { rounds, windowMs, sockets: 0 };
    const log = (message: string) => context.environment.log(`idle-cpu: ${message}`);
    const systems = await installAll(context, 'idle-cpu');
    try {
      log('starting every system');
      await forEachSystem(
        context,
        'idle-cpu',
        systems,
        async (system) => {
          system.running = await system.installation.start();
          await waitForIdle(system.running, 10_000);
        },
        { parallel: true },
      );
      for (let round = 1; round <= rounds; round++) {
        log(`round ${round}/${rounds}: ${windowMs / 1000} s idle`);
        await forEachSystem(
          context,
          'idle-cpu',
          systems,
          async (system) => {
            const cost = await serverCost(system.running as RunningSystem, () => sleep(windowMs));
            const percent = (cost.cpuMicros / (cost.wallMs * 1000)) * 100;
            context.report.add(
              {
                id: 'idle-cpu/percent',
                label: 'idle server CPU, no socket, no request',
                unit: '% of one CPU',
                targetValue: TARGET_PERCENT,
              },
              system.definition.id,
              percent,
              { round, cost },
            );
          },
          { parallel: true },
        );
      }
    } finally {
      await tearDown(systems);
    }
  },
};
