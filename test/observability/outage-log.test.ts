import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createOutageLog } from '../../src/outage-log.js';
import { openFeed } from '../support/feed-client.js';
import { startGateway, testRedisUrl } from '../support/gateway.js';
import { dataOf, errorCodes, graphql } from '../support/graphql-http.js';
import { captureLogs, type LogLine } from '../support/logs.js';
import { CREATE_DEVICE, createDevice, notificationInput, postNotification } from '../support/operations.js';
import { proxyTo, startGatewayBehindProxies, through } from '../support/outage.js';

const HOST = 'outage-log.example.com';

const readyz = async (origin: string) => (await fetch(`${origin}/readyz`)).status;

/** The outage lines about `dependency`, as [level, state, count field]. */
const outageLines = (lines: readonly LogLine[], dependency: string, counted: string) =>
  lines.filter((line) => line.outage === dependency).map((line) => [line.level, line.state, line[counted]]);

/** How many times the store operation `name` was called, from /metrics. */
async function storeCalls(origin: string, name: string): Promise<number> {
  const text = await (await fetch(`${origin}/metrics`)).text();
  const match = new RegExp(`^tidings_store_calls_total\\{operation="${name}"\\} (\\d+)$`, 'm').exec(text);
  return Number(match?.[1] ?? 0);
}

// Real outages behind TCP proxies, for one gateway only (vitest.config.ts runs this file once).
describe('an outage of something outside the process is logged once as it starts and once as it ends', () => {
  it('Redis cut while the app posts: one warning, then one info line counting the publishes dropped; no error line', async () => {
    const redis = await proxyTo(testRedisUrl());
    const logs = captureLogs();
    const t = await startGateway({
      env: {
        REDIS_URL: through(testRedisUrl(), redis),
        TIDINGS_REDIS_PREFIX: `tidings-test-${randomUUID()}:`,
      },
      logger: logs.logger,
    });
    const app = await t.registerApp(HOST);
    const appToken = await app.token();
    const unsid = await createDevice(t.url, await t.userToken('alice', app.app), 'WEB');
    await expect.poll(() => readyz(t.origin), { timeout: 10_000 }).toBe(200);

    await redis.cut();
    await expect.poll(() => readyz(t.origin), { timeout: 10_000 }).toBe(503);
    // Every post is committed and answered; its wake-up for other processes is dropped.
    const posts = 25;
    for (let i = 0; i < posts; i++) {
      dataOf(await postNotification(t.url, appToken, notificationInput(unsid, HOST)));
    }
    await redis.restore();
    await expect
      .poll(() => outageLines(logs.lines, 'redis', 'publishesDropped'), { timeout: 15_000 })
      .toEqual([
        ['warn', 'started', undefined],
        ['info', 'ended', posts],
      ]);
    expect(logs.lines.filter((line) => line.level === 'error')).toEqual([]);
  });

  it('store cut under the delivery flush, the sweeper and requests: one warning, then one info line; no error line', async () => {
    const logs = captureLogs();
    const { t, database } = await startGatewayBehindProxies({
      logger: logs.logger,
      // The sweeper tries often; delivery marks wait until the test flushes them.
      env: { TIDINGS_SWEEP_INTERVAL_MS: '100', TIDINGS_DELIVERY_FLUSH_MS: '1h' },
    });
    const app = await t.registerApp(HOST);
    const appToken = await app.token();
    const userToken = await t.userToken('alice', app.app);
    const unsid = await createDevice(t.url, userToken, 'WEB');
    const feed = openFeed(t.wsUrl, userToken, { deviceSubscriptionId: unsid });
    await expect
      .poll(async () => {
        await postNotification(
          t.url,
          appToken,
          notificationInput(unsid, HOST, { appNotificationId: 'live' }),
        );
        return feed.received.length;
      })
      .toBeGreaterThan(0);

    // The sweeper sleeps until something falls due: this wakes it during the outage, and a pass that
    // fails is tried again every interval.
    await postNotification(
      t.url,
      appToken,
      notificationInput(unsid, HOST, { expirationDateTime: new Date(Date.now() + 1000).toISOString() }),
    );
    await database.cut();
    // Delivery marks are waiting: writing them meets the outage.
    await t.gateway.services.deliveries.flush();
    // Each sweeper pass starts by asking the store whether anything is due.
    const sweeps = await storeCalls(t.origin, 'sweepIsDue');
    await expect
      .poll(() => storeCalls(t.origin, 'sweepIsDue'), { timeout: 10_000 })
      .toBeGreaterThan(sweeps + 3);
    expect(errorCodes(await postNotification(t.url, appToken, notificationInput(unsid, HOST)))).toEqual([
      'SERVICE_UNAVAILABLE',
    ]);
    expect(outageLines(logs.lines, 'store', 'failedCalls')).toEqual([['warn', 'started', undefined]]);

    await database.restore();
    await expect
      .poll(() => outageLines(logs.lines, 'store', 'failedCalls'), { timeout: 15_000 })
      .toEqual([
        ['warn', 'started', undefined],
        ['info', 'ended', expect.any(Number)],
      ]);
    const [, ended] = logs.lines.filter((line) => line.outage === 'store');
    // The flush, the sweeps (each pass stops at its first failure) and the post.
    expect(ended?.failedCalls).toBeGreaterThanOrEqual(1 + 4 + 1);
    expect(logs.lines.filter((line) => line.level === 'error')).toEqual([]);
  });
});

describe('a gateway closed during a store outage', () => {
  it('does not say the store is back: closing its connections proves nothing', async () => {
    const logs = captureLogs();
    const { t, database } = await startGatewayBehindProxies({ logger: logs.logger });
    const app = await t.registerApp(HOST);
    const userToken = await t.userToken('alice', app.app);
    await database.cut();
    expect(
      (await graphql(t.url, CREATE_DEVICE, { input: { platform: 'WEB', deviceLabel: 'w' } }, userToken))
        .status,
    ).toBe(503);
    await t.close();
    expect(outageLines(logs.lines, 'store', 'failedCalls')).toEqual([['warn', 'started', undefined]]);
  });
});

describe('createOutageLog', () => {
  it('warns at the first failure, counts the rest, and ends at the first answer with the count and duration', () => {
    const logs = captureLogs();
    let now = 1000;
    const outage = createOutageLog({
      logger: logs.logger,
      dependency: 'thing',
      countedAs: 'dropped',
      now: () => now,
    });
    outage.succeeded();
    expect(logs.lines).toEqual([]);
    outage.failed(new Error('refused'));
    outage.failed(new Error('refused again'), { affected: 0 });
    outage.failed('still refused', { affected: 3 });
    expect(outage.active).toBe(true);
    now = 4000;
    outage.succeeded();
    outage.succeeded();
    expect(outage.active).toBe(false);
    expect(
      logs.lines.map(({ level, msg, outage: what, state, error, dropped, durationMs }) => ({
        level,
        msg,
        what,
        state,
        error,
        dropped,
        durationMs,
      })),
    ).toEqual([
      { level: 'warn', msg: 'thing unreachable', what: 'thing', state: 'started', error: 'refused' },
      {
        level: 'info',
        msg: 'thing reachable again',
        what: 'thing',
        state: 'ended',
        dropped: 4,
        durationMs: 3000,
      },
    ]);
  });

  it('takes no notice of a failure that began before the outage ended (a call stuck through it)', () => {
    const logs = captureLogs();
    let now = 1000;
    const outage = createOutageLog({
      logger: logs.logger,
      dependency: 'thing',
      countedAs: 'dropped',
      now: () => now,
    });
    outage.failed(new Error('hung'));
    now = 2000;
    outage.succeeded();
    now = 2500;
    outage.failed(new Error('timed out at last'), { startedAt: 1500 });
    expect(outage.active).toBe(false);
    outage.failed(new Error('new trouble'), { startedAt: 2400 });
    expect(outage.active).toBe(true);
    expect(logs.lines.map((line) => [line.level, line.state, line.error])).toEqual([
      ['warn', 'started', 'hung'],
      ['info', 'ended', undefined],
      ['warn', 'started', 'new trouble'],
    ]);
  });
});
