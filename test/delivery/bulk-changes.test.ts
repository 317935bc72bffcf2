import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { type FeedClient, openFeed, type ReceivedChange } from '../support/feed-client.js';
import { startGateway, type TestGateway } from '../support/gateway.js';
import { dataOf, graphql } from '../support/graphql-http.js';
import { notificationContent } from '../support/notification-content.js';
import { feedCursor, notificationInput, postNotification } from '../support/operations.js';
import { DELETE_GROUP, FULL_CHANGE_SELECTION, MARK_ALL_READ } from '../support/state-operations.js';

const BULK = 1500;
const HOST = 'bulk.example.com';
const MINUTE = 60_000;

/**
 * A user with two live devices (graphql-ws clients) and BULK notifications in their feed, all unread, in
 * group "digest", expiring in a minute: all but one written straight in the store (nobody listens yet, and
 * it is fast), the last one posted once both feeds are open, to know they are live. The devices are made
 * in the store too, so that no HTTP connection sits idle while the notifications are written: a pooled
 * connection idle for the server's keep-alive timeout (Node's 5 s when this was written; 72 s now)
 * may be reused as the server closes it.
 */
async function bulkFixture() {
  const clock = { now: new Date() };
  const statements: string[] = [];
  const t = await startGateway({
    now: () => clock.now,
    env: { TIDINGS_SWEEP_INTERVAL_MS: '0' },
    onStoreQuery: (sql) => void statements.push(sql),
  });
  const app = await t.registerApp(HOST);
  const token = await t.userToken('alice', app.app);
  const store = t.gateway.services.store;
  const owner = { appId: app.app.id, issuer: t.gateway.issuer.issuer, subject: 'alice' };
  const devices = [];
  for (const platform of ['WEB', 'ANDROID'] as const) {
    devices.push(
      await store.createDeviceSubscription({
        id: randomBytes(18).toString('base64url'),
        owner,
        platform,
        deviceLabel: platform,
        expirationDateTime: new Date(clock.now.getTime() + 24 * 60 * MINUTE),
        now: clock.now,
        maxDevices: 2,
      }),
    );
  }
  const [laptop] = devices;
  if (!laptop) throw new Error('no device');
  const digest = (overrides: Record<string, unknown>) =>
    notificationInput(laptop.id, HOST, {
      groupName: 'digest',
      expirationDateTime: new Date(clock.now.getTime() + MINUTE).toISOString(),
      ...overrides,
    });
  // A hundred at a time: each hundred is one commit (group commit), and none waits long for the database.
  for (let done = 0; done < BULK - 1; done += 100) {
    await Promise.all(
      Array.from({ length: Math.min(100, BULK - 1 - done) }, (_, i) =>
        t.gateway.services.feeds.postNotification({
          target: { feedId: laptop.feedId },
          content: {
            ...notificationContent(HOST, `n-${done + i}`),
            groupName: 'digest',
            expirationDateTime: new Date(clock.now.getTime() + MINUTE),
          },
          now: clock.now,
        }),
      ),
    );
  }
  const cursor = await feedCursor(t.url, token);
  const feeds = devices.map((device) =>
    openFeed(t.wsUrl, token, { deviceSubscriptionId: device.id, after: cursor }, FULL_CHANGE_SELECTION),
  );
  // Both feeds are live (past their replay, listening) once they have the last one.
  const appToken = await app.token();
  const warmUp = dataOf(await postNotification(t.url, appToken, digest({ appNotificationId: 'warm-up' })))
    .createNotification.notification.id;
  for (const feed of feeds) expect((await feed.next(30_000)).notification?.id).toBe(warmUp);
  const closes = feeds.map((feed) => {
    const seen = { code: null as number | null };
    void feed.closed.then((code) => {
      seen.code = code;
    });
    return seen;
  });
  /** Posts one more notification (not in the group) and returns its id. */
  const postOne = async () =>
    dataOf(await postNotification(t.url, appToken, notificationInput(laptop.id, HOST))).createNotification
      .notification.id;
  return { t, token, feedId: laptop.feedId, feeds, closes, statements, clock, postOne };
}

/** Takes exactly `count` changes from a feed; fails if they do not come, or at once if its socket closes. */
async function take(feed: FeedClient, count: number): Promise<ReceivedChange[]> {
  let taken = 0;
  const closed = feed.closed.then((code) => {
    throw new Error(`The socket closed with ${code} after ${taken} of ${count} changes.`);
  });
  return Promise.race([feed.until(() => ++taken === count, 120_000), closed]);
}

/** Each device got one change of `kind` per notification, and is still connected: it gets the next post. */
async function expectEveryDeviceGot(
  f: Awaited<ReturnType<typeof bulkFixture>>,
  kind: string,
  check: (change: ReceivedChange) => void,
) {
  for (const feed of f.feeds) {
    const changes = await take(feed, BULK);
    expect(new Set(changes.map((change) => change.kind))).toEqual(new Set([kind]));
    expect(new Set(changes.map((change) => change.notification?.id)).size).toBe(BULK);
    for (const change of changes) check(change);
  }
  const last = await f.postOne();
  for (const feed of f.feeds) expect((await feed.next(30_000)).notification?.id).toBe(last);
  expect(f.closes.map((close) => close.code)).toEqual([null, null]);
}

/** SQL statements that update notification rows (one per row before bulk edits were batched). */
const notificationUpdates = (statements: readonly string[]) =>
  statements.filter((sql) => /^\s*UPDATE\s+\S*\bNotification\b/i.test(sql)).length;

async function unreadLeft(t: TestGateway, feedId: string): Promise<number> {
  const page = await t.gateway.services.store.listNotifications(feedId, {
    first: BULK,
    beforePosition: null,
    readState: 'UNREAD',
    groupName: null,
  });
  return page.notifications.length;
}

describe('bulk changes reach live devices they do not disconnect', () => {
  it(`markAllRead of ${BULK}: both devices get ${BULK} STATE_CHANGED and stay connected`, {
    timeout: 300_000,
  }, async () => {
    const f = await bulkFixture();
    f.statements.length = 0;
    const marked = dataOf(
      await graphql<{ markAllRead: { count: number } }>(f.t.url, MARK_ALL_READ, {}, f.token),
    );
    expect(marked.markAllRead.count).toBe(BULK);
    const updates = notificationUpdates(f.statements);
    expect(await unreadLeft(f.t, f.feedId)).toBe(0);
    await expectEveryDeviceGot(f, 'STATE_CHANGED', (change) =>
      expect(change.notification?.readState).toBe('READ'),
    );
    // Rows were updated a chunk at a time, one statement per chunk, not one statement per row.
    expect(updates).toBeGreaterThan(1);
    expect(updates).toBeLessThanOrEqual(BULK / 100);
  });

  it(`deleteNotificationGroup of ${BULK}: both devices get ${BULK} DELETED and stay connected`, {
    timeout: 300_000,
  }, async () => {
    const f = await bulkFixture();
    const deleted = dataOf(
      await graphql<{ deleteNotificationGroup: { notificationIds: string[] } }>(
        f.t.url,
        DELETE_GROUP,
        { groupName: 'digest' },
        f.token,
      ),
    );
    expect(new Set(deleted.deleteNotificationGroup.notificationIds).size).toBe(BULK);
    await expectEveryDeviceGot(f, 'DELETED', (change) => expect(change.notification?.status).toBe('DELETED'));
  });

  it(`the sweeper's expiry of ${BULK}: both devices get ${BULK} EXPIRED and stay connected`, {
    timeout: 300_000,
  }, async () => {
    const f = await bulkFixture();
    f.clock.now = new Date(f.clock.now.getTime() + 2 * MINUTE);
    expect(await f.t.gateway.sweepOnce()).toMatchObject({ expired: BULK });
    await expectEveryDeviceGot(f, 'EXPIRED', (change) => expect(change.notification?.status).toBe('DELETED'));
  });
});
