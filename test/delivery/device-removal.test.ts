import { describe, expect, it } from 'vitest';
import { openFeed } from '../support/feed-client.js';
import { startGateway } from '../support/gateway.js';
import { dataOf, errorCodes, graphql } from '../support/graphql-http.js';
import { createDevice, feedCursor, notificationInput, postNotification } from '../support/operations.js';

const DELETE_DEVICE =
  'mutation ($id: ID!) { deleteDeviceSubscription(input: { deviceSubscriptionId: $id }) { deviceSubscriptionId } }';

describe('deleting a device subscription', () => {
  it('ends its live feed at once (a lost phone stops receiving), and only its own', async () => {
    const t = await startGateway();
    const app = await t.registerApp('lost.example.com');
    const appToken = await app.token();
    const user = await t.userToken('alice', app.app);
    const laptop = await createDevice(t.url, user, 'WEB');
    const phone = await createDevice(t.url, user, 'ANDROID');
    const cursor = await feedCursor(t.url, user);
    const laptopFeed = openFeed(t.wsUrl, user, { deviceSubscriptionId: laptop, after: cursor });
    const phoneFeed = openFeed(t.wsUrl, user, { deviceSubscriptionId: phone, after: cursor });
    await postNotification(
      t.url,
      appToken,
      notificationInput(laptop, 'lost.example.com', { appNotificationId: 'first' }),
    );
    expect((await phoneFeed.next()).notification?.appNotificationId).toBe('first');
    expect((await laptopFeed.next()).notification?.appNotificationId).toBe('first');

    // From the laptop, the user removes the lost phone.
    expect(dataOf(await graphql(t.url, DELETE_DEVICE, { id: phone }, user))).toEqual({
      deleteDeviceSubscription: { deviceSubscriptionId: phone },
    });
    await phoneFeed.completed;
    await postNotification(
      t.url,
      appToken,
      notificationInput(laptop, 'lost.example.com', { appNotificationId: 'second' }),
    );
    expect((await laptopFeed.next()).notification?.appNotificationId).toBe('second');
    expect(phoneFeed.received.map((change) => change.notification?.appNotificationId)).toEqual(['first']);

    // The phone cannot subscribe again, and the app can no longer target it.
    const again = openFeed(t.wsUrl, user, { deviceSubscriptionId: phone, after: cursor });
    expect((await again.failed).map((error) => error.extensions?.code)).toEqual(['NOT_FOUND']);
    const posted = await postNotification(t.url, appToken, notificationInput(phone, 'lost.example.com'));
    expect(errorCodes(posted)).toEqual(['NOT_FOUND']);
  });
});
