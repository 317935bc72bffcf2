import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { encodeCursor } from '../../src/delivery/cursor.js';
import { openFeed } from '../support/feed-client.js';
import { startGateway } from '../support/gateway.js';
import { dataOf, errorCodes, graphql } from '../support/graphql-http.js';
import { createDevice, feedCursor, notificationInput, postNotification } from '../support/operations.js';

/** One sample's value from Prometheus text, or undefined when the series is absent. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('GET /metrics', () => {
  it('serves Prometheus text: store operations by name, open sockets, and the process', async () => {
    const t = await startGateway();
    const app = await t.registerApp('metrics.example.com');
    const user = await t.userToken('alice', app.app);
    const unsid = await createDevice(t.url, user, 'WEB');
    const feed = openFeed(t.wsUrl, user, {
      deviceSubscriptionId: unsid,
      after: await feedCursor(t.url, user),
    });
    const scrape = async () => {
      const response = await fetch(`${t.origin}/metrics`);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toMatch(/^text\/plain/);
      return response.text();
    };
    const before = await scrape();
    // Every series is there from the start, at 0 until its first count (alerts on absent() and rate()).
    expect(sample(before, 'tidings_store_calls_total{operation="deleteDeviceSubscription"}')).toBe(0);
    expect(sample(before, 'tidings_notifications_created_total{outcome="REPLACED"}')).toBe(0);
    const postsBefore = sample(before, 'tidings_store_calls_total{operation="postNotification"}') ?? 0;
    for (let i = 0; i < 3; i += 1) {
      dataOf(
        await postNotification(t.url, await app.token(), notificationInput(unsid, 'metrics.example.com')),
      );
    }
    await feed.next();
    const after = await scrape();
    expect(sample(after, 'tidings_store_calls_total{operation="postNotification"}')).toBe(postsBefore + 3);
    expect(sample(after, 'tidings_open_sockets')).toBe(1);
    expect(sample(after, 'tidings_process_cpu_user_seconds_total')).toBeGreaterThan(0);
    await feed.close();
    await expect.poll(async () => sample(await scrape(), 'tidings_open_sockets')).toBe(0);
  });

  it('counts posts by outcome, deliveries, fan-out lag, replays, resyncs and errors by code, exactly', async () => {
    const host = 'traffic.example.com';
    const t = await startGateway();
    const app = await t.registerApp(host);
    const appToken = await app.token();
    const user = await t.userToken('alice', app.app);
    const unsid = await createDevice(t.url, user, 'WEB');
    const scrape = async () => (await fetch(`${t.origin}/metrics`)).text();
    let before = await scrape();
    /** How much a series moved since `before` (an absent series counts as 0). */
    const moved = (text: string, series: string) =>
      (sample(text, series) ?? 0) - (sample(before, series) ?? 0);
    const post = async (appNotificationId: string) =>
      dataOf(await postNotification(t.url, appToken, notificationInput(unsid, host, { appNotificationId })));

    // A first notification may come from the store or live (the feed may still be starting); once it
    // is in, the feed is live, and the counts start from there.
    const live = openFeed(t.wsUrl, user, {
      deviceSubscriptionId: unsid,
      after: await feedCursor(t.url, user),
    });
    await post('warm-up');
    expect((await live.next()).notification?.appNotificationId).toBe('warm-up');
    // A frame is counted once written, which the client may see a moment before the server notes it.
    await expect.poll(async () => moved(await scrape(), 'tidings_deliveries_total')).toBe(1);
    before = await scrape();

    // Live: two new notifications and one replaced, to a subscribed device.
    await post('a');
    await post('b');
    await post('a');
    const received = [await live.next(), await live.next(), await live.next()];
    expect(received.map((change) => change.kind)).toEqual(['CREATED', 'CREATED', 'REPLACED']);
    await expect.poll(async () => moved(await scrape(), 'tidings_deliveries_total')).toBe(3);
    let after = await scrape();
    expect(moved(after, 'tidings_notifications_created_total{outcome="CREATED"}')).toBe(2);
    expect(moved(after, 'tidings_notifications_created_total{outcome="REPLACED"}')).toBe(1);
    expect(moved(after, 'tidings_fanout_lag_seconds_count')).toBe(3);
    expect(moved(after, 'tidings_fanout_lag_seconds_bucket{le="+Inf"}')).toBe(3);
    expect(moved(after, 'tidings_replays_total')).toBe(0);

    // Away, then back with its cursor: the two missed changes come from the store, in one read.
    await live.close();
    await expect.poll(async () => sample(await scrape(), 'tidings_open_sockets')).toBe(0);
    await post('c');
    await post('d');
    const back = openFeed(t.wsUrl, user, { deviceSubscriptionId: unsid, after: received[2]?.cursor ?? null });
    expect([
      (await back.next()).notification?.appNotificationId,
      (await back.next()).notification?.appNotificationId,
    ]).toEqual(['c', 'd']);
    await expect.poll(async () => moved(await scrape(), 'tidings_deliveries_total')).toBe(5);
    after = await scrape();
    expect(moved(after, 'tidings_replays_total')).toBe(1);
    expect(moved(after, 'tidings_replayed_changes_total')).toBe(2);
    expect(moved(after, 'tidings_fanout_lag_seconds_count')).toBe(3); // replayed frames are not fan-out lag

    // A cursor of another epoch: RESYNC.
    const stale = openFeed(t.wsUrl, user, {
      deviceSubscriptionId: unsid,
      after: encodeCursor({ epoch: randomUUID(), offset: 1 }),
    });
    expect((await stale.next()).kind).toBe('RESYNC');
    await expect.poll(async () => moved(await scrape(), 'tidings_resyncs_total')).toBe(1);

    // Errors, by code and transport.
    const blank = await postNotification(
      t.url,
      appToken,
      notificationInput(unsid, host, { payload: { visualContent: { title: '' } } }),
    );
    expect(errorCodes(blank)).toEqual(['BAD_USER_INPUT']);
    expect(errorCodes(await graphql(t.url, '{ deviceSubscriptions { edges { node { id } } } }'))).toEqual([
      'UNAUTHENTICATED',
    ]);
    const unknown = openFeed(t.wsUrl, user, { deviceSubscriptionId: 'no-such-device' });
    expect((await unknown.failed).map((error) => error.extensions?.code)).toEqual(['NOT_FOUND']);
    after = await scrape();
    expect(moved(after, 'tidings_graphql_errors_total{transport="http",code="BAD_USER_INPUT"}')).toBe(1);
    expect(moved(after, 'tidings_graphql_errors_total{transport="http",code="UNAUTHENTICATED"}')).toBe(1);
    expect(moved(after, 'tidings_graphql_errors_total{transport="ws",code="NOT_FOUND"}')).toBe(1);
    expect(moved(after, 'tidings_notifications_created_total{outcome="CREATED"}')).toBe(4);
    expect(moved(after, 'tidings_deliveries_total')).toBe(5);
  });
});

describe('where /metrics is served (TIDINGS_METRICS_ADDRESS)', () => {
  it('is off the public port in production by default: 404 there, and nowhere else', async () => {
    const t = await startGateway({ env: { TIDINGS_MODE: 'production' } });
    expect(t.gateway.metricsUrl).toBeNull();
    const response = await fetch(`${t.origin}/metrics`);
    expect(response.status).toBe(404);
    await response.text();
    // The probes a load balancer needs stay on the public port.
    expect((await fetch(`${t.origin}/healthz`)).status).toBe(200);
    expect((await fetch(`${t.origin}/readyz`)).status).toBe(200);
  });

  it('is served on a listener of its own, beside /healthz and /readyz, and not on the public port', async () => {
    const t = await startGateway({
      env: { TIDINGS_MODE: 'production', TIDINGS_METRICS_ADDRESS: '127.0.0.1:0' },
    });
    const metricsUrl = t.gateway.metricsUrl as string;
    expect(metricsUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
    expect(new URL(metricsUrl).port).not.toBe(new URL(t.origin).port);
    const publicAnswer = await fetch(`${t.origin}/metrics`);
    expect(publicAnswer.status).toBe(404);
    await publicAnswer.text();

    const app = await t.registerApp('scraped.example.com');
    await app.token();
    const scraped = await fetch(metricsUrl);
    expect(scraped.status).toBe(200);
    expect(scraped.headers.get('content-type')).toMatch(/^text\/plain/);
    expect(sample(await scraped.text(), 'tidings_open_sockets')).toBe(0);
    const listener = new URL(metricsUrl).origin;
    expect((await fetch(`${listener}/healthz`)).status).toBe(200);
    expect((await fetch(`${listener}/readyz`)).status).toBe(200);
    // Only those: GraphQL, tokens and keys are the public port's.
    for (const path of ['/graphql', '/oauth2/token', '/.well-known/jwks.json']) {
      const answer = await fetch(`${listener}${path}`);
      expect(answer.status).toBe(404);
      await answer.text();
    }
  });

  it('stays on the public port in development, and goes there in production when told `public`', async () => {
    for (const env of [{}, { TIDINGS_MODE: 'production', TIDINGS_METRICS_ADDRESS: 'public' }]) {
      const t = await startGateway({ env });
      expect(t.gateway.metricsUrl).toBe(`${t.origin}/metrics`);
      const response = await fetch(`${t.origin}/metrics`);
      expect(response.status).toBe(200);
      await response.text();
    }
    const off = await startGateway({ env: { TIDINGS_METRICS_ADDRESS: 'off' } });
    expect(off.gateway.metricsUrl).toBeNull();
    expect((await fetch(`${off.origin}/metrics`)).status).toBe(404);
  });
});
