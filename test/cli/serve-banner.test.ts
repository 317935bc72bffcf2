import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { setTimeout } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { oneCpuAdvice } from '../../src/cli/serve-banner.js';
import { startChildGateway } from '../support/child-gateway.js';
import { temporaryDataDir } from '../support/gateway.js';

// On one CPU, Node's four V8 background threads take the CPU from the event loop in each major
// collection (bench latency on SQLite: p99 20–22.5 ms at 1,000 posts/s, 7.6–9.9 with one thread);
// `tidings serve` says so in its banner where it applies, and only there.
describe("serve's banner: the advice to give V8 one background thread on one CPU", () => {
  it('is given on one CPU unless Node was told a pool of at most one thread, however the option is spelt', () => {
    const advises = /--v8-pool-size=1 \(e\.g\. NODE_OPTIONS=--v8-pool-size=1\)/;
    expect(oneCpuAdvice(1, [])).toMatch(advises);
    expect(oneCpuAdvice(1, ['--enable-source-maps'])).toMatch(advises);
    expect(oneCpuAdvice(1, ['--v8-pool-size=4'])).toMatch(advises);
    expect(oneCpuAdvice(1, ['--v8-pool-size=1', '--v8-pool-size=4'])).toMatch(advises);
    expect(oneCpuAdvice(1, ['--v8-pool-size=one'])).toMatch(advises);
    expect(oneCpuAdvice(1, ['--v8-pool-size=1'])).toBeUndefined();
    expect(oneCpuAdvice(1, ['--v8-pool-size=0'])).toBeUndefined();
    expect(oneCpuAdvice(1, ['--v8-pool-size', '1'])).toBeUndefined();
    expect(oneCpuAdvice(1, ['--v8_pool_size=1'])).toBeUndefined();
    expect(
      oneCpuAdvice(1, ['--max-old-space-size=512', '--v8-pool-size=4', '--v8-pool-size=1']),
    ).toBeUndefined();
    expect(oneCpuAdvice(2, [])).toBeUndefined();
  });

  // taskset and /proc are Linux's.
  it.runIf(process.platform === 'linux')(
    'is in the banner of a gateway pinned to one CPU, and not once NODE_OPTIONS gives V8 one thread',
    async () => {
      // A CPU this process may run on (the first of its affinity), to pin each gateway to it alone.
      const cpu = Number(/Cpus_allowed_list:\s*(\d+)/.exec(readFileSync('/proc/self/status', 'utf8'))?.[1]);
      const banner = async (nodeOptions: string) => {
        const gateway = await startChildGateway(
          { NODE_OPTIONS: nodeOptions },
          temporaryDataDir(),
          [],
          undefined,
          cpu,
        );
        // The URL line comes first: wait for the whole banner (its first block ends with the proxies).
        const deadline = Date.now() + 10_000;
        while (!/proxies: .*\n/.test(gateway.output()) && Date.now() < deadline) {
          await Promise.race([once(gateway.child.stdout ?? gateway.child, 'data'), setTimeout(100)]);
        }
        const output = gateway.output();
        await gateway.stop();
        return output;
      };
      expect(await banner('')).toMatch(/proxies: .*\n {2}one CPU: {2}start node with --v8-pool-size=1/);
      const sized = await banner('--v8-pool-size=1');
      expect(sized).toMatch(/proxies: .*\n/);
      expect(sized).not.toContain('one CPU');
    },
  );
});
