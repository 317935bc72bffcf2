import { queryObjects } from 'node:v8';
import type { Gauge } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { type FeedStreamOptions, openFeedStream } from '../../src/delivery/feed-stream.js';
import type { Fanout } from '../../src/fanout/fanout.js';
import { createMemoryFanout } from '../../src/fanout/memory-fanout.js';
import { openFeed } from '../support/feed-client.js';
import { startGateway } from '../support/gateway.js';
import { createDevice, feedCursor, notificationInput, postNotification } from '../support/operations.js';

// A live feed holds no suspended function while idle: its consumer's pending next() is all that waits, and
// the work between (replay, live changes) runs only while there is some. Whatever way a socket goes (a
// client that completes its subscription, a close, a dropped connection), nothing of its feed may be left
// behind: no feed object, so no fan-out listener (the listener keeps its feed).

const HOST = 'come-and-go.example.com';
const USERS = 20;
const DEVICES_PER_USER = 10;

async function feedClass(store: FeedStreamOptions['store'], fanout: Fanout) {
  const probe = openFeedStream({
    store,
    fanout,
    feedId: 'probe',
    deviceSubscriptionId: 'probe',
    platform: 'WEB',
    after: null,
    maxPending: 1,
    onOverflow: () => {},
  });
  await probe.return();
  return Object.getPrototypeOf(probe).constructor as new (
    ...args: never[]
  ) => object;
}

describe('live feeds that come and go', () => {
  it(`leave nothing behind after ${USERS * DEVICES_PER_USER} sockets were served and went`, {
    timeout: 120_000,
  }, async () => {
    const fanout = createMemoryFanout(() => {});
    const t = await startGateway({ fanout });
    const app = await t.registerApp(HOST);
    const appToken = await app.token();
    const gauge = t.gateway.services.metrics.registry.getSingleMetric('tidings_open_sockets') as Gauge;
    const openSockets = async () => (await gauge.get()).values[0]?.value ?? 0;
    // The feed's class, to count its objects (from a feed made and ended in a function of its own, so that
    // nothing here keeps it).
    const LiveFeed = await feedClass(t.gateway.services.store, fanout);
    const liveFeeds = () => queryObjects(LiveFeed, { format: 'count' }) as number;
    expect(liveFeeds()).toBe(0);

    const feeds = [];
    // Each user's first device: notifications target it, and reach every device of the user.
    const targets: string[] = [];
    for (let user = 0; user < USERS; user++) {
      const token = await t.userToken(`user-${user}`, app.app);
      const before = await feedCursor(t.url, token);
      const devices = [];
      for (let device = 0; device < DEVICES_PER_USER; device++) {
        devices.push(await createDevice(t.url, token, 'WEB'));
      }
      // One notification before the sockets: the feeds that resume from the cursor before it replay it.
      const unsid = devices[0] as string;
      targets.push(unsid);
      await postNotification(t.url, appToken, notificationInput(unsid, HOST, { appNotificationId: 'early' }));
      for (const [index, deviceSubscriptionId] of devices.entries()) {
        const after = index % 2 === 0 ? before : null;
        feeds.push({
          replays: after !== null,
          feed: openFeed(t.wsUrl, token, { deviceSubscriptionId, after }),
        });
      }
    }
    // Every feed live: the replayed one first where it resumed from before it, then a live one.
    for (const { replays, feed } of feeds) {
      if (replays) expect((await feed.next()).notification?.appNotificationId).toBe('early');
    }
    await expect.poll(openSockets).toBe(USERS * DEVICES_PER_USER);
    for (const unsid of targets) {
      await postNotification(t.url, appToken, notificationInput(unsid, HOST, { appNotificationId: 'live' }));
    }
    for (const { feed } of feeds) expect((await feed.next()).notification?.appNotificationId).toBe('live');
    expect(liveFeeds()).toBe(USERS * DEVICES_PER_USER);

    // Half close cleanly, half drop their connection (no close frame).
    await Promise.all(feeds.map(({ feed }, index) => (index % 2 === 0 ? feed.close() : feed.kill())));
    await expect.poll(openSockets).toBe(0);
    await expect.poll(liveFeeds).toBe(0);
  });
});
