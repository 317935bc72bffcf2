import { describe, expect, it } from 'vitest';
import { decodeCursor } from '../../src/delivery/cursor.js';
import { type FeedEvent, openFeedStream } from '../../src/delivery/feed-stream.js';
import type { DeviceSubscription, FeedPosition } from '../../src/domain/types.js';
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

// notificationChanges reads the device subscription, then opens its feed, which listens to the fan-out. A
// deletion committed in between announces DEVICE_REMOVED to no one: the feed learns of it from what it
// reads once it listens. The race is laid out step by step on the gateway's own store and fan-out: the
// device read as the resolver reads it, deleted through the mutation, then its feed opened from that read.
describe('a device subscription deleted after its feed read it and before the feed listened', () => {
  async function deletedAfterRead() {
    const t = await startGateway();
    const app = await t.registerApp('race.example.com');
    const appToken = await app.token();
    const user = await t.userToken('alice', app.app);
    const laptop = await createDevice(t.url, user, 'WEB');
    const phone = await createDevice(t.url, user, 'ANDROID');
    const cursor = decodeCursor(await feedCursor(t.url, user), 'after');
    await postNotification(t.url, appToken, notificationInput(laptop, 'race.example.com'));
    const { store, fanout } = t.gateway.services;
    const read = (await store.findDeviceSubscription(phone)) as DeviceSubscription;
    expect(dataOf(await graphql(t.url, DELETE_DEVICE, { id: phone }, user))).toEqual({
      deleteDeviceSubscription: { deviceSubscriptionId: phone },
    });
    /** The phone's feed as the resolver opens it, from the device it read before the deletion. */
    const open = (after: FeedPosition | null, withHead: boolean) =>
      openFeedStream({
        store,
        fanout,
        feedId: read.feedId,
        deviceSubscriptionId: read.id,
        platform: read.platform,
        after,
        ...(withHead ? { head: read.feedHead } : {}),
        maxPending: 100,
        onOverflow: () => {},
      });
    return { cursor, open };
  }

  /** The feed's first step, or a failure if it has taken none within a bound (a feed that waits on). */
  async function firstStep(feed: AsyncIterator<FeedEvent, void>): Promise<IteratorResult<FeedEvent, void>> {
    let timer: NodeJS.Timeout | undefined;
    try {
      return await Promise.race([
        feed.next(),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error('the feed of a deleted device stayed open')), 5000);
        }),
      ]);
    } finally {
      clearTimeout(timer);
      await feed.return?.();
    }
  }

  it('ends a feed that starts at the head read with the device (a caught-up device)', async () => {
    const { open } = await deletedAfterRead();
    expect(await firstStep(open(null, true))).toEqual({ done: true, value: undefined });
  });

  it('ends a feed given no head (it reads the head itself)', async () => {
    const { open } = await deletedAfterRead();
    expect(await firstStep(open(null, false))).toEqual({ done: true, value: undefined });
  });

  it('ends a feed that has changes to replay, and replays none of them', async () => {
    const { cursor, open } = await deletedAfterRead();
    expect(await firstStep(open(cursor, true))).toEqual({ done: true, value: undefined });
  });

  it('ends a feed given no head that resumes from a cursor', async () => {
    const { cursor, open } = await deletedAfterRead();
    expect(await firstStep(open(cursor, false))).toEqual({ done: true, value: undefined });
  });
});
