import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { oneCpuAdvice } from '../../src/cli/serve-banner.js';
import { startChildGateway } from '../support/child-gateway.js';
import { temporaryDataDir } from '../support/gateway.js';

// On one CPU, Node's four V8 background threads take the CPU from the event loop in each major
// collection (bench latency: p99 20–22.5 ms at 1,000 posts/s, 7.6–9.9 with --v8-pool-size=0); `tidings serve`
// says so where it applies, and only there.
/** A CPU this process may run on (the first of its affinity), to pin a child gateway to it alone. */
const allowedCpu = Number(/Cpus_allowed_list:\s*(\d+)/.exec(readFileSync('/proc/self/status', 'utf8'))?.[1]);

describe('one CPU: the advice to size V8 background threads to it', () => {
  it('is given on one CPU without --v8-pool-size, whether from the command line or NODE_OPTIONS', () => {
    expect(oneCpuAdvice(1, [])).toMatch(/--v8-pool-size=0/);
    expect(oneCpuAdvice(1, ['--enable-source-maps', ''])).toMatch(/NODE_OPTIONS=--v8-pool-size=0/);
    expect(oneCpuAdvice(1, ['--v8-pool-size=0'])).toBeUndefined();
    expect(oneCpuAdvice(1, ['--max-old-space-size=512', '--v8-pool-size=1'])).toBeUndefined();
    expect(oneCpuAdvice(2, [])).toBeUndefined();
  });

  it('is in the banner of a gateway pinned to one CPU, and not once NODE_OPTIONS sizes the pool', async () => {
    const pinned = await startChildGateway(
      { NODE_OPTIONS: '' },
      temporaryDataDir(),
      [],
      undefined,
      allowedCpu,
    );
    expect(pinned.output()).toMatch(/\n {2}one CPU: {2}start node with --v8-pool-size=0/);
    await pinned.stop();

    const sized = await startChildGateway(
      { NODE_OPTIONS: '--v8-pool-size=0' },
      temporaryDataDir(),
      [],
      undefined,
      allowedCpu,
    );
    expect(sized.output()).toContain('Tidings is listening on');
    expect(sized.output()).not.toContain('one CPU');
    await sized.stop();
  });
});
