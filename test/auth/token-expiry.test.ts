import { describe, expect, it } from 'vitest';
import { openFeed } from '../support/feed-client.js';
import { startGateway } from '../support/gateway.js';
import { createDevice, feedCursor, notificationInput, postNotification } from '../support/operations.js';

describe('a token that expires while its socket is open', () => {
  it('closes the socket with 4403, and a fresh token resumes from the cursor with nothing lost', async () => {
    const t = await startGateway();
    const app = await t.registerApp('expiry.example.com');
    const appToken = await app.token();
    const longToken = await t.userToken('alice', app.app);
    const unsid = await createDevice(t.url, longToken, 'WEB');
    const cursor = await feedCursor(t.url, longToken);

    const shortToken = await t.userToken('alice', app.app, 2);
    const feed = openFeed(t.wsUrl, shortToken, { subscriptionId: unsid, after: cursor });
    await postNotification(
      t.url,
      appToken,
      notificationInput(unsid, 'expiry.example.com', { appNotificationId: 'before' }),
    );
    const before = await feed.next();
    expect(before.notification?.appNotificationId).toBe('before');
    expect(await feed.closed).toBe(4403); // an event, bounded by the test timeout

    // Posted while the device has no socket.
    await postNotification(
      t.url,
      appToken,
      notificationInput(unsid, 'expiry.example.com', { appNotificationId: 'while-away' }),
    );
    const fresh = await t.userToken('alice', app.app);
    const resumed = openFeed(t.wsUrl, fresh, { subscriptionId: unsid, after: before.cursor });
    expect((await resumed.next()).notification?.appNotificationId).toBe('while-away');
  });
});
