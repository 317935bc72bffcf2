import { beforeAll, describe, expect, it } from 'vitest';
import { registerApp } from '../../src/auth/register-app.js';
import { loadConfig } from '../../src/config/config.js';
import { openFeedStream } from '../../src/delivery/feed-stream.js';
import { createMemoryFanout } from '../../src/fanout/memory-fanout.js';
import { createStore } from '../../src/store/create-store.js';
import type { Store } from '../../src/store/types.js';
import { onCleanup } from '../support/cleanup.js';
import { storeEnv, temporaryDataDir } from '../support/gateway.js';
import { notificationContent } from '../support/notification-content.js';
import { createWebDevice } from '../support/store-devices.js';

const HOST = 'stop.example.com';
/** More than two of the feed's store pages (200 changes each). */
const HIDDEN = 450;

// A live feed that is returned (its socket closed, its subscription completed) ends at once: its
// consumer's pending next() is answered done, never with one more event, and it reads no further page
// of the store for a device that is gone. On a real store, with the feed's own fan-out.
describe('a live feed stopped while it works', () => {
  let store: Store;
  let feedId: string;
  let deviceSubscriptionId: string;
  let epoch: string;

  beforeAll(async () => {
    const dataDir = temporaryDataDir();
    store = await createStore(loadConfig(await storeEnv(dataDir), { dataDir }));
    onCleanup(() => store.close());
    const {
      app: { id: appId },
    } = await registerApp(store, { targetHostName: HOST });
    const device = await createWebDevice(store, appId, 'stopper');
    feedId = device.feedId;
    deviceSubscriptionId = device.id;
    ({ epoch } = await store.feedHead(feedId));
    // One change a WEB device sees, then many it does not (they target iOS only).
    await store.postNotification({
      target: { feedId },
      content: notificationContent(HOST, 'seen'),
      now: new Date(),
    });
    await Promise.all(
      Array.from({ length: HIDDEN }, (_, i) =>
        store.postNotification({
          target: { feedId },
          content: { ...notificationContent(HOST, `ios-${i}`), platformTypes: ['IOS'] },
          now: new Date(),
        }),
      ),
    );
  });

  /** The feed of the test's device from the start, on the store as `reading` sees it. */
  function feedFromStart(reading: Store) {
    return openFeedStream({
      store: reading,
      fanout: createMemoryFanout((error) => {
        throw error;
      }),
      feedId,
      deviceSubscriptionId,
      platform: 'WEB',
      after: { epoch, offset: 0 },
      maxPending: 100,
      onOverflow: () => {},
    });
  }

  it('answers a pending next() done when returned while the consumer maps an event', async () => {
    const feed = feedFromStart(store);
    let mapping: (() => void) | undefined;
    const mapStarted = new Promise<void>((started) => {
      feed.filterMap(async (event) => {
        await new Promise<void>((release) => {
          mapping = release;
          started();
        });
        return event;
      });
    });
    const pending = feed.next();
    await mapStarted;
    await feed.return();
    mapping?.();
    expect(await pending).toEqual({ done: true, value: undefined });
  });

  it('reads no further page of the store once returned', async () => {
    let reads = 0;
    let returned = false;
    let readsAfterReturn = 0;
    // Set once the visible change is taken: the next read is one of the pages past it.
    let onRead: (() => void) | undefined;
    const counting: Store = Object.create(store, {
      readChanges: {
        value: (...args: Parameters<Store['readChanges']>) => {
          reads += 1;
          if (returned) readsAfterReturn += 1;
          onRead?.();
          return store.readChanges(...args);
        },
      },
    });
    const feed = feedFromStart(counting);
    // The visible change, then a replay over pages that hold nothing for this device.
    expect(await feed.next()).toMatchObject({ done: false, value: { type: 'change' } });
    const readStarted = new Promise<void>((started) => {
      onRead = started;
    });
    const pending = feed.next();
    await readStarted;
    returned = true;
    await feed.return();
    expect(await pending).toEqual({ done: true, value: undefined });
    expect(reads).toBeGreaterThan(0);
    // No page read starts after it (the one under way when it was returned was counted before).
    expect(readsAfterReturn).toBe(0);
  });
});
