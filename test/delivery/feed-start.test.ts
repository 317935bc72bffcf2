import { beforeAll, describe, expect, it } from 'vitest';
import { registerApp } from '../../src/auth/register-app.js';
import { loadConfig } from '../../src/config/config.js';
import { openFeedStream } from '../../src/delivery/feed-stream.js';
import type { FeedHead } from '../../src/domain/types.js';
import { createMemoryFanout, type MemoryFanout } from '../../src/fanout/memory-fanout.js';
import { createStore } from '../../src/store/create-store.js';
import type { Store } from '../../src/store/types.js';
import { onCleanup } from '../support/cleanup.js';
import { storeEnv, temporaryDataDir } from '../support/gateway.js';
import { notificationContent } from '../support/notification-content.js';
import { createWebDevice } from '../support/store-devices.js';

const HOST = 'start.example.com';

// A device's live feed is given its feed's head as read with its device subscription, before the feed
// listens to the fan-out. Whatever is committed in between is in neither, so the feed looks again once it
// listens: it reads its feed's head by its device's id (a read the store shares with every feed starting at
// once, which also tells whether the device is still there), and reads the log only if the head has moved.
// On a real store, with the feed's own fan-out.
describe('a live feed that starts at the head read with its device', () => {
  let store: Store;
  let appId: string;

  beforeAll(async () => {
    const dataDir = temporaryDataDir();
    store = await createStore(loadConfig(await storeEnv(dataDir), { dataDir }));
    onCleanup(() => store.close());
    ({
      app: { id: appId },
    } = await registerApp(store, { targetHostName: HOST }));
  });

  /** The store, counting the feed's reads, and telling when the first of them has answered. */
  function counting() {
    const calls = { deviceFeedHead: 0, readChanges: 0 };
    let answered!: () => void;
    const whenRead = new Promise<void>((resolve) => {
      answered = resolve;
    });
    const counted =
      <A extends unknown[], R>(name: keyof typeof calls, read: (...args: A) => Promise<R>) =>
      async (...args: A) => {
        calls[name] += 1;
        const result = await read(...args);
        answered();
        return result;
      };
    const reading: Store = Object.create(store, {
      deviceFeedHead: {
        value: counted('deviceFeedHead', (deviceSubscriptionId: string) =>
          store.deviceFeedHead(deviceSubscriptionId),
        ),
      },
      readChanges: {
        value: counted('readChanges', (...args: Parameters<Store['readChanges']>) =>
          store.readChanges(...args),
        ),
      },
    });
    return { calls, whenRead, reading };
  }

  function liveFeed(
    reading: Store,
    fanout: MemoryFanout,
    device: { id: string; feedId: string },
    head: FeedHead,
  ) {
    return openFeedStream({
      store: reading,
      fanout,
      feedId: device.feedId,
      deviceSubscriptionId: device.id,
      platform: 'WEB',
      after: null,
      head,
      maxPending: 100,
      onOverflow: () => {},
    });
  }

  const newFanout = () =>
    createMemoryFanout((error) => {
      throw error;
    });

  /** Posts to the feed in the store and announces it, as the feed writer does (commit, then publish). */
  async function post(fanout: MemoryFanout, feedId: string, appNotificationId: string) {
    const change = await store.postNotification({
      target: { feedId },
      content: notificationContent(HOST, appNotificationId),
      now: new Date(),
    });
    if (change) fanout.publish([change]);
  }

  it('delivers a change committed after that head was read and before the feed listened', async () => {
    const device = await createWebDevice(store, appId, 'between');
    const head = (await store.findDeviceSubscription(device.id))?.feedHead as FeedHead;
    const fanout = newFanout();
    // Committed and announced before the feed listens: it hears nothing of it.
    await post(fanout, device.feedId, 'between');
    const { calls, reading } = counting();
    const feed = liveFeed(reading, fanout, device, head);
    const first = await feed.next();
    expect(first).toMatchObject({
      done: false,
      value: {
        type: 'change',
        change: { offset: head.offset + 1, notification: { appNotificationId: 'between' } },
      },
    });
    expect(calls).toEqual({ deviceFeedHead: 1, readChanges: 1 });
    // Then live, with no duplicate.
    const second = feed.next();
    await post(fanout, device.feedId, 'after');
    expect(await second).toMatchObject({
      value: { change: { offset: head.offset + 2, notification: { appNotificationId: 'after' } } },
    });
    await feed.return();
  });

  it('reads no page of the log when its head has not moved, and delivers what comes next live', async () => {
    const device = await createWebDevice(store, appId, 'caught-up');
    const head = (await store.findDeviceSubscription(device.id))?.feedHead as FeedHead;
    const fanout = newFanout();
    const { calls, whenRead, reading } = counting();
    const feed = liveFeed(reading, fanout, device, head);
    const first = feed.next();
    // Posted once the feed has looked at the store: the change is then heard live. Bounded: a feed that
    // never reads fails here, not by the test's timeout.
    await Promise.race([
      whenRead,
      new Promise((_, reject) => setTimeout(() => reject(new Error('the feed never read the store')), 5000)),
    ]);
    await post(fanout, device.feedId, 'live');
    expect(await first).toMatchObject({
      done: false,
      value: {
        type: 'change',
        change: { offset: head.offset + 1, notification: { appNotificationId: 'live' } },
      },
    });
    expect(calls).toEqual({ deviceFeedHead: 1, readChanges: 0 });
    await feed.return();
  });
});
