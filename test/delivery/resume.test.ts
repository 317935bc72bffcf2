import { describe, expect, it } from 'vitest';
import { createMemoryFanout } from '../../src/fanout/memory-fanout.js';
import { type FeedClient, openFeed, type ReceivedChange } from '../support/feed-client.js';
import { startGateway, type TestGateway } from '../support/gateway.js';
import { dataOf } from '../support/graphql-http.js';
import { createDevice, feedCursor, notificationInput, postNotification } from '../support/operations.js';

interface Fixture {
  t: TestGateway;
  appToken: string;
  userToken: string;
  unsid: string;
  feedId: string;
  post(appNotificationId: string): Promise<string>;
}

async function fixture(t: TestGateway): Promise<Fixture> {
  const app = await t.registerApp('resume.example.com');
  const appToken = await app.token();
  const userToken = await t.userToken('alice', app.app);
  const unsid = await createDevice(t.url, userToken, 'ANDROID');
  const feedId = (await t.gateway.services.store.findDeviceSubscription(unsid))?.feedId as string;
  return {
    t,
    appToken,
    userToken,
    unsid,
    feedId,
    async post(appNotificationId) {
      const posted = await postNotification(
        t.url,
        appToken,
        notificationInput(unsid, 'resume.example.com', { appNotificationId }),
      );
      return dataOf(posted).createNotification.notification.id as string;
    },
  };
}

/** The notification ids of the feed's log after a cursor's offset, from the store, in log order. */
async function logAfter(f: Fixture, afterOffset: number): Promise<string[]> {
  const ids: string[] = [];
  for (let offset = afterOffset; ; ) {
    const page = await f.t.gateway.services.store.readChanges(f.feedId, offset, 500);
    if (page.length === 0) return ids;
    ids.push(...page.map((change) => change.notification.id));
    offset = page.at(-1)?.offset as number;
  }
}

const offsetOf = (cursor: string) => Number(Buffer.from(cursor, 'base64url').toString().split(':')[1]);
const ids = (changes: ReceivedChange[]) => changes.map((change) => change.notification?.appNotificationId);

describe('resume from a cursor', () => {
  it('gives a device that was away exactly the 100 changes it missed, in order, and nothing else', async () => {
    const f = await fixture(await startGateway());
    const first = openFeed(f.t.wsUrl, f.userToken, {
      deviceSubscriptionId: f.unsid,
      after: await feedCursor(f.t.url, f.userToken),
    });
    await f.post('before');
    const seen = await first.next();
    await first.close();

    const missed = Array.from({ length: 100 }, (_, i) => `missed-${i}`);
    for (const id of missed) await f.post(id);
    const resumed = openFeed(f.t.wsUrl, f.userToken, { deviceSubscriptionId: f.unsid, after: seen.cursor });
    const replayed: ReceivedChange[] = [];
    for (let i = 0; i < 100; i++) replayed.push(await resumed.next());
    expect(ids(replayed)).toEqual(missed);
    expect(replayed.every((change) => change.kind === 'CREATED')).toBe(true);
    // Nothing else: the next change is the one posted now.
    await f.post('after');
    expect((await resumed.next()).notification?.appNotificationId).toBe('after');
  });

  it('has no gap and no duplicate when notifications are created during the replay', async () => {
    const f = await fixture(await startGateway());
    const cursor = await feedCursor(f.t.url, f.userToken);
    for (let i = 0; i < 300; i++) await f.post(`away-${i}`);
    const resumed = openFeed(f.t.wsUrl, f.userToken, { deviceSubscriptionId: f.unsid, after: cursor });
    // Four concurrent writers while the replay runs.
    const during = Promise.all(
      [0, 1, 2, 3].map(async (writer) => {
        for (let i = 0; i < 25; i++) await f.post(`during-${writer}-${i}`);
      }),
    );
    const received: ReceivedChange[] = [];
    while (received.length < 400) received.push(await resumed.next(10_000));
    await during;
    const expected = await logAfter(f, offsetOf(cursor));
    expect(expected).toHaveLength(400);
    expect(received.map((change) => change.notification?.id)).toEqual(expected);
    await f.post('last');
    expect((await resumed.next()).notification?.appNotificationId).toBe('last');
  });

  it('loses nothing and repeats nothing when the socket is killed at random points of a 1,000-notification burst', async () => {
    // The burst is the point here, not the app's rate limit.
    const f = await fixture(await startGateway({ env: { TIDINGS_APP_MUTATION_BURST: '100000' } }));
    const start = await feedCursor(f.t.url, f.userToken);
    const total = 1000;
    const burst = (async () => {
      for (let i = 0; i < total; i += 4) {
        await Promise.all([0, 1, 2, 3].map((j) => f.post(`burst-${i + j}`)));
      }
    })();
    const received: ReceivedChange[] = [];
    let cursor = start;
    let kills = 0;
    // A fixed seed, so a failure can be replayed.
    let seed = 42;
    const random = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    while (received.length < total) {
      const feed: FeedClient = openFeed(f.t.wsUrl, f.userToken, {
        deviceSubscriptionId: f.unsid,
        after: cursor,
      });
      const take = 1 + Math.floor(random() * 150);
      for (let i = 0; i < take && received.length < total; i++) {
        const change = await feed.next(15_000);
        received.push(change);
        cursor = change.cursor;
      }
      feed.kill();
      kills++;
    }
    await burst;
    const inStore = await logAfter(f, offsetOf(start));
    const receivedIds = received.map((change) => change.notification?.id);
    expect(new Set(receivedIds).size).toBe(receivedIds.length);
    expect(receivedIds).toEqual(inStore);
    expect(inStore).toHaveLength(total);
    expect(kills).toBeGreaterThan(5);
  });
});

describe('gap repair', () => {
  it('reads from the store what a lost wake-up did not announce, before delivering anything after it', async () => {
    // The fan-out is a replaceable transport; this one loses every wake-up of a "lost-" notification,
    // as a pub/sub across processes may.
    const memory = createMemoryFanout(() => {});
    const lossy = {
      ...memory,
      publish: (changes: Parameters<typeof memory.publish>[0]) =>
        memory.publish(
          changes.filter((change) => !change.notification.appNotificationId.startsWith('lost-')),
        ),
    };
    const f = await fixture(await startGateway({ fanout: lossy }));
    const feed = openFeed(f.t.wsUrl, f.userToken, {
      deviceSubscriptionId: f.unsid,
      after: await feedCursor(f.t.url, f.userToken),
    });
    await f.post('kept-0');
    expect((await feed.next()).notification?.appNotificationId).toBe('kept-0');
    const lost = Array.from({ length: 20 }, (_, i) => `lost-${i}`);
    for (const id of lost) await f.post(id);
    await f.post('kept-1');
    const after = await feed.until((change) => change.notification?.appNotificationId === 'kept-1');
    expect(ids(after)).toEqual([...lost, 'kept-1']);
  });
});
