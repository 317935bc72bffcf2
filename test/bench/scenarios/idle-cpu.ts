import { serverCost, waitForIdle } from '../lib/measure.js';
import { sleep } from '../lib/time.js';
import type { RunningSystem } from '../systems/system.js';
import type { Scenario } from './scenario.js';
import { forEachSystem, installAll, tearDown } from './systems-under-test.js';

// What a gateway costs doing nothing: no socket, no request, only its own timers (Tidings: the
// sweeper's pass once a minute when nothing falls due sooner; the metrics' event-loop monitor and Web
// Push's look run only while there is work; the build at TIDINGS_BENCH_BEFORE: the sweeper every 5 s
// and the event-loop monitor every 100 ms). The servers idle at the same
// time: nothing else runs, so they do not disturb each other. The figure is the share of one CPU.
//
// Every Node server, raw `ws` included, collects garbage on its own for about half a minute after its
// start (V8's memory reducer: a few full collections seconds apart, once allocation stops): a window
// that met one read 0.9 % for raw `ws`, which otherwise costs nothing at all when idle. So the servers
// first collect once through the probe and then settle, unmeasured, before the first window.

/** An idle gateway should cost less than this share of one CPU, in percent (issue 14). */
const TARGET_PERCENT = 0.2;

export const idleCpu: Scenario = {
  id: 'idle-cpu',
  title: "An idle server's CPU (its own timers only)",
  async run(context) {
    const rounds = context.rounds ?? (context.quick ? 1 : 3);
    // 30 s resolve 0.01 % (3 ms) from the probe's µs figure; an idle sweeper's pass (once a minute)
    // falls in every other window, so the rounds' median may miss it: the mean over rounds includes it.
    const windowMs = context.quick ? 6000 : 30_000;
    // Past the start-up's collections (raw `ws` measured every 5 s from its start: 75 and 48 ms at
    // 20–30 s, nothing after 35 s).
    const settleMs = context.quick ? 3000 : 45_000;
    context.report.parameters['idle-cpu'] = { rounds, windowMs, settleMs, sockets: 0 };
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
          await system.running.probe({ gc: true });
        },
        { parallel: true },
      );
      log(`settling for ${settleMs / 1000} s`);
      await sleep(settleMs);
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
