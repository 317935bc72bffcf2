import { describe, expect, it } from 'vitest';
import { openFeed } from '../support/feed-client.js';
import { startGateway } from '../support/gateway.js';
import { dataOf } from '../support/graphql-http.js';
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
    const feed = openFeed(t.wsUrl, user, { subscriptionId: unsid, after: await feedCursor(t.url, user) });
    const scrape = async () => {
      const response = await fetch(`${t.origin}/metrics`);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toMatch(/^text\/plain/);
      return response.text();
    };
    const before = await scrape();
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
});
