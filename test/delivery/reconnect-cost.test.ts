import { describe, expect, it } from 'vitest';
import { openFeed } from '../support/feed-client.js';
import { startGateway } from '../support/gateway.js';
import { dataOf } from '../support/graphql-http.js';
import { createDevice, feedCursor, notificationInput, postNotification } from '../support/operations.js';

/** Store operations by name, from the gateway's own /metrics. */
async function storeCalls(origin: string): Promise<Map<string, number>> {
  const text = await (await fetch(`${origin}/metrics`)).text();
  const calls = new Map<string, number>();
  for (const match of text.matchAll(/^tidings_store_calls_total\{operation="(\w+)"\} (\d+)$/gm)) {
    calls.set(match[1] as string, Number(match[2]));
  }
  return calls;
}

describe('a device that reconnects after missing changes', () => {
  it('is caught up with two store reads: its device subscription (with the feed head) and one page', async () => {
    // Only the reconnect's own store calls fall between the two scrapes: no timer's (delivery flush,
    // sweeper, push claims every second), however long a loaded machine makes the catch-up.
    const t = await startGateway({
      env: {
        TIDINGS_DELIVERY_FLUSH_MS: '3600000',
        TIDINGS_SWEEP_INTERVAL_MS: '0',
        TIDINGS_WEB_PUSH_INTERVAL_MS: '0',
      },
    });
    const app = await t.registerApp('reconnect.example.com');
    const user = await t.userToken('alice', app.app);
    const unsid = await createDevice(t.url, user, 'WEB');
    const cursor = await feedCursor(t.url, user);
    const appToken = await app.token();
    const ids: string[] = [];
    for (let i = 0; i < 100; i += 1) {
      const posted = await postNotification(
        t.url,
        appToken,
        notificationInput(unsid, 'reconnect.example.com'),
      );
      ids.push(dataOf(posted).createNotification.notification.id);
    }

    const before = await storeCalls(t.origin);
    const feed = openFeed(t.wsUrl, user, { deviceSubscriptionId: unsid, after: cursor });
    await feed.until((change) => change.notification?.id === ids.at(-1));
    expect(feed.received.map((change) => change.notification?.id)).toEqual(ids);
    const after = await storeCalls(t.origin);
    const used = [...after].flatMap(([operation, count]) => {
      const delta = count - (before.get(operation) ?? 0);
      return delta > 0 ? [[operation, delta]] : [];
    });
    expect(Object.fromEntries(used)).toEqual({ findDeviceSubscription: 1, readChanges: 1 });
    await feed.close();
  });
});
