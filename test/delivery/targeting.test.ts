import { beforeAll, describe, expect, it } from 'vitest';
import { type FeedClient, openFeed } from '../support/feed-client.js';
import { startGateway, type TestApp, type TestGateway } from '../support/gateway.js';
import { dataOf } from '../support/graphql-http.js';
import { createDevice, feedCursor, notificationInput, postNotification } from '../support/operations.js';

// User A runs the app on web, android and ios; user B on web. The app posts with various target
// policies; each device must receive exactly what targets its platform, and B nothing of A's.
describe('live delivery by target policy', () => {
  let t: TestGateway;
  let app: TestApp;
  let appToken: string;
  const devices: Record<string, string> = {};
  const feeds: Record<string, FeedClient> = {};

  beforeAll(async () => {
    t = await startGateway();
    app = await t.registerApp('news.example.com');
    appToken = await app.token();
    const alice = await t.userToken('alice', app.app);
    const bob = await t.userToken('bob', app.app);
    for (const platform of ['WEB', 'ANDROID', 'IOS'])
      devices[`alice-${platform}`] = await createDevice(t.url, alice, platform);
    devices['bob-WEB'] = await createDevice(t.url, bob, 'WEB');
    const aliceCursor = await feedCursor(t.url, alice);
    const bobCursor = await feedCursor(t.url, bob);
    for (const [name, unsid] of Object.entries(devices)) {
      const isBob = name.startsWith('bob');
      feeds[name] = openFeed(t.wsUrl, isBob ? bob : alice, {
        deviceSubscriptionId: unsid,
        after: isBob ? bobCursor : aliceCursor,
      });
    }
  });

  it('delivers each notification to exactly the devices its target policy names', async () => {
    const unsid = devices['alice-WEB'] as string;
    const host = app.app.targetHostName;
    const posts: Array<[string, string[] | null]> = [
      ['all-default', null],
      ['all-empty', []],
      ['web-only', ['WEB']],
      ['mobile', ['ANDROID', 'IOS']],
      ['windows-only', ['WINDOWS']],
      ['ios-only', ['IOS']],
    ];
    for (const [id, platformTypes] of posts) {
      const input = notificationInput(unsid, host, {
        appNotificationId: id,
        ...(platformTypes === null ? {} : { targetPolicy: { platformTypes } }),
      });
      expect(dataOf(await postNotification(t.url, appToken, input)).createNotification.outcome).toBe(
        'CREATED',
      );
    }
    // A last notification to every device, and one to Bob: once a device has it, it has everything
    // posted before it (fan-out is in commit order), so what came before is all it will ever get.
    await postNotification(t.url, appToken, notificationInput(unsid, host, { appNotificationId: 'end' }));
    await postNotification(
      t.url,
      appToken,
      notificationInput(devices['bob-WEB'] as string, host, { appNotificationId: 'end' }),
    );

    const receivedBy = async (name: string) =>
      (await (feeds[name] as FeedClient).until((c) => c.notification?.appNotificationId === 'end')).map(
        (c) => c.notification?.appNotificationId,
      );
    expect(await receivedBy('alice-WEB')).toEqual(['all-default', 'all-empty', 'web-only', 'end']);
    expect(await receivedBy('alice-ANDROID')).toEqual(['all-default', 'all-empty', 'mobile', 'end']);
    expect(await receivedBy('alice-IOS')).toEqual(['all-default', 'all-empty', 'mobile', 'ios-only', 'end']);
    expect(await receivedBy('bob-WEB')).toEqual(['end']);
  });

  it('delivers the notification as posted, with its cursor and kind', async () => {
    const unsid = devices['alice-ANDROID'] as string;
    const posted = await postNotification(
      t.url,
      appToken,
      notificationInput(unsid, app.app.targetHostName, {
        appNotificationId: 'full',
        priority: 'HIGH',
        groupName: 'news',
        payload: { visualContent: { title: 'Title', body: 'Body' }, rawContent: '{"k":1}' },
        targetPolicy: { platformTypes: ['ANDROID'] },
      }),
    );
    const notification = dataOf(posted).createNotification.notification;
    const change = await (feeds['alice-ANDROID'] as FeedClient).next();
    expect(change.kind).toBe('CREATED');
    expect(change.cursor).toEqual(expect.any(String));
    expect(change.notification).toEqual({
      id: notification.id,
      appNotificationId: 'full',
      readState: 'UNREAD',
      status: 'ACTIVE',
      priority: 'HIGH',
      groupName: 'news',
      targetPolicy: { platformTypes: ['ANDROID'] },
      payload: { visualContent: { title: 'Title', body: 'Body' }, rawContent: '{"k":1}' },
    });
  });

  it('starts at the head without a cursor and delivers what is posted afterwards', async () => {
    const alice = await t.userToken('alice', app.app);
    const feed = openFeed(t.wsUrl, alice, { deviceSubscriptionId: devices['alice-IOS'] as string });
    // No acknowledgement tells when the server has subscribed, so post until the first one arrives
    // (a bounded poll), then check that everything after it arrives in order.
    let first: string | undefined;
    for (let attempt = 0; attempt < 50 && first === undefined; attempt++) {
      await postNotification(
        t.url,
        appToken,
        notificationInput(devices['alice-IOS'] as string, app.app.targetHostName, {
          appNotificationId: `probe-${attempt}`,
        }),
      );
      first = await feed.next(100).then(
        (c) => c.notification?.appNotificationId,
        () => undefined,
      );
    }
    expect(first).toMatch(/^probe-/);
    for (const id of ['after-1', 'after-2']) {
      await postNotification(
        t.url,
        appToken,
        notificationInput(devices['alice-IOS'] as string, app.app.targetHostName, { appNotificationId: id }),
      );
    }
    const rest = await feed.until((c) => c.notification?.appNotificationId === 'after-2');
    expect(
      rest.map((c) => c.notification?.appNotificationId).filter((id) => !id?.startsWith('probe-')),
    ).toEqual(['after-1', 'after-2']);
  });
});

describe('re-targeting and later changes', () => {
  it('tells a device about a notification it holds even after the app re-targets it away', async () => {
    const t = await startGateway();
    const app = await t.registerApp('retarget.example.com');
    const appToken = await app.token();
    const user = await t.userToken('carol', app.app);
    const web = await createDevice(t.url, user, 'WEB');
    const feed = openFeed(t.wsUrl, user, { deviceSubscriptionId: web, after: await feedCursor(t.url, user) });
    const post = (targetPolicy: Record<string, unknown>) =>
      postNotification(
        t.url,
        appToken,
        notificationInput(web, 'retarget.example.com', { appNotificationId: 'x', targetPolicy }),
      );
    await post({ platformTypes: [] });
    expect(await feed.next()).toMatchObject({ kind: 'CREATED', notification: { appNotificationId: 'x' } });
    // Re-posted for iOS only: the web device must learn that it no longer targets it.
    await post({ platformTypes: ['IOS'] });
    expect(await feed.next()).toMatchObject({
      kind: 'REPLACED',
      notification: { appNotificationId: 'x', targetPolicy: { platformTypes: ['IOS'] } },
    });
    // A new notification for iOS only is still not sent to the web device.
    await postNotification(
      t.url,
      appToken,
      notificationInput(web, 'retarget.example.com', {
        appNotificationId: 'ios-only',
        targetPolicy: { platformTypes: ['IOS'] },
      }),
    );
    await postNotification(
      t.url,
      appToken,
      notificationInput(web, 'retarget.example.com', { appNotificationId: 'end' }),
    );
    expect((await feed.next()).notification?.appNotificationId).toBe('end');
  });
});
