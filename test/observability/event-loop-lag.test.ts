import { collectDefaultMetrics, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { registerEventLoopLag } from '../../src/observability/event-loop-lag.js';
import { onCleanup } from '../support/cleanup.js';
import { startGateway } from '../support/gateway.js';
import { eventually } from '../support/state-operations.js';

// The event-loop lag figures are sampled only while the gateway has work (issue 14: an idle gateway's
// CPU): Node's delay monitor wakes the process every 100 ms otherwise. Same names and meaning as
// prom-client's; what they read while idle is defined (README Operations).

const LAG = [
  'tidings_nodejs_eventloop_lag_min_seconds',
  'tidings_nodejs_eventloop_lag_max_seconds',
  'tidings_nodejs_eventloop_lag_mean_seconds',
  'tidings_nodejs_eventloop_lag_stddev_seconds',
  'tidings_nodejs_eventloop_lag_p50_seconds',
  'tidings_nodejs_eventloop_lag_p90_seconds',
  'tidings_nodejs_eventloop_lag_p99_seconds',
] as const;

/** One scrape: every lag figure's value (NaN if a figure has none). */
async function scrape(registry: Registry): Promise<Record<(typeof LAG)[number], number>> {
  const metrics = await registry.getMetricsAsJSON();
  const value = (name: string) => metrics.find((m) => m.name === name)?.values[0]?.value ?? Number.NaN;
  return Object.fromEntries(LAG.map((name) => [name, value(name)])) as Record<(typeof LAG)[number], number>;
}

/** Holds the event loop for `ms`: a stall, which the monitor sees at its next sample. */
function stall(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until) {
    // busy
  }
}
/** One turn through the timers: a sample due after a stall is taken by then. */
const nextTurn = () => new Promise((resolve) => setTimeout(resolve, 0));

/** A monitor of 20 ms resolution that stops after `quietMs` without work. */
function monitor(quietMs = 50) {
  const registry = new Registry();
  const lag = registerEventLoopLag({ registry, prefix: 'tidings_', resolutionMs: 20, quietMs });
  onCleanup(() => lag.close());
  let work = false;
  let asked = 0;
  lag.whileWork(() => {
    asked += 1;
    return work;
  });
  return {
    registry,
    lag,
    setWork(value: boolean) {
      work = value;
    },
    asked: () => asked,
  };
}

describe('event-loop lag, sampled only while there is work', () => {
  it("the gateway serves prom-client's default metrics, names and types, the lag included", async () => {
    const t = await startGateway();
    const reference = new Registry();
    collectDefaultMetrics({ register: reference, prefix: 'tidings_', eventLoopMonitoringPrecision: 1000 });
    const kinds = (metrics: Array<{ name: string; type: unknown }>) =>
      metrics.map((metric) => `${metric.name} ${String(metric.type)}`).sort();
    const ours = (await t.gateway.services.metrics.registry.getMetricsAsJSON()).filter((metric) =>
      /^tidings_(process|nodejs)_/.test(metric.name),
    );
    expect(kinds(ours)).toEqual(kinds(await reference.getMetricsAsJSON()));
  });

  it('idle from the start: not sampling, and the figures read the resolution (stddev 0), never NaN', async () => {
    const { registry, lag } = monitor();
    expect(lag.sampling).toBe(false);
    expect(await scrape(registry)).toEqual({
      tidings_nodejs_eventloop_lag_min_seconds: 0.02,
      tidings_nodejs_eventloop_lag_max_seconds: 0.02,
      tidings_nodejs_eventloop_lag_mean_seconds: 0.02,
      tidings_nodejs_eventloop_lag_stddev_seconds: 0,
      tidings_nodejs_eventloop_lag_p50_seconds: 0.02,
      tidings_nodejs_eventloop_lag_p90_seconds: 0.02,
      tidings_nodejs_eventloop_lag_p99_seconds: 0.02,
    });
  });

  it('work starts it; a stall shows; quiet stops it; the stall is reported once, then no stale figure', async () => {
    // Quiet for longer than the stall, so that the stall's sample is taken before it stops.
    const { registry, lag } = monitor(500);
    lag.busy();
    expect(lag.sampling).toBe(true);
    // Node's monitor takes its first sample at its second tick: let it tick once first.
    stall(30);
    await nextTurn();
    stall(200);
    await nextTurn();
    await eventually(async () => expect(lag.sampling).toBe(false));
    // Stopped before this scrape: the window it sampled is still reported, once.
    expect((await scrape(registry)).tidings_nodejs_eventloop_lag_max_seconds).toBeGreaterThanOrEqual(0.2);
    expect((await scrape(registry)).tidings_nodejs_eventloop_lag_max_seconds).toBe(0.02);
  });

  it('the time it was stopped is not a delay: a stall while idle is not counted when work starts again', async () => {
    const { registry, lag } = monitor();
    lag.busy();
    await eventually(async () => expect(lag.sampling).toBe(false));
    stall(300);
    lag.busy();
    await nextTurn();
    await nextTurn();
    const figures = await scrape(registry);
    // Node's monitor counts the time it was disabled as one delay (≥ 300 ms here) unless it starts afresh.
    expect(figures.tidings_nodejs_eventloop_lag_max_seconds).toBeLessThan(0.3);
    expect(figures.tidings_nodejs_eventloop_lag_max_seconds).toBeGreaterThan(0);
    expect(Number.isNaN(figures.tidings_nodejs_eventloop_lag_mean_seconds)).toBe(false);
  });

  it('open work (a socket) keeps it sampling past the quiet time; it stops once there is none', async () => {
    const { lag, setWork, asked } = monitor();
    setWork(true);
    lag.busy();
    // Asked at least twice, quiet time over each time: still sampling.
    await eventually(async () => expect(asked()).toBeGreaterThanOrEqual(2));
    expect(lag.sampling).toBe(true);
    setWork(false);
    await eventually(async () => expect(lag.sampling).toBe(false));
  });

  it('in the gateway, probes and scrapes are not work, a GraphQL request is', async () => {
    const t = await startGateway();
    const { eventLoop } = t.gateway.services.metrics;
    for (const path of ['/healthz', '/readyz', '/metrics']) {
      expect((await fetch(`${t.origin}${path}`)).status).toBe(200);
    }
    expect(eventLoop.sampling).toBe(false);
    // Answered or refused (no token here: 401), a request is work.
    await fetch(t.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ __typename }' }),
    });
    expect(eventLoop.sampling).toBe(true);
  });
});
