import { beforeAll, describe, expect, it } from 'vitest';
import type { FeedClient } from '../support/feed-client.js';
import { startGateway, type TestApp, type TestGateway } from '../support/gateway.js';
import { dataOf, errorCodes, graphql } from '../support/graphql-http.js';
import { feedCursor, notificationInput, postNotification } from '../support/operations.js';
import {
  createUser,
  DELETE_GROUP,
  DELETE_NOTIFICATION,
  listedIds,
  MARK_ALL_READ,
  NOTIFICATION,
  type TestUser,
  UPDATE_NOTIFICATION,
  untilNotification,
  updateState,
} from '../support/state-operations.js';

const HOUR = 3600 * 1000;
const DAY = 24 * HOUR;
const fromNow = (ms: number) => new Date(Date.now() + ms).toISOString();

// Each test has its own user, so that counts (e.g. markAllRead) and feeds do not depend on the others.
// A user's devices: two on the web, one Android phone, one iPhone.
describe('state shared across devices', () => {
  let t: TestGateway;
  let app: TestApp;
  let appToken: string;
  let userCount = 0;

  beforeAll(async () => {
    t = await startGateway();
    app = await t.registerApp('inbox.example.com');
    appToken = await app.token();
  });

  const newUser = () =>
    createUser(t, app, `user-${++userCount}`, {
      laptop: 'WEB',
      desktop: 'WEB',
      phone: 'ANDROID',
      iphone: 'IOS',
    });

  /** The store's view of one notification and of its feed's head. */
  async function stored(user: TestUser, id: string) {
    const store = t.gateway.services.store;
    return { notification: await store.findNotificationById(id), head: await store.feedHead(user.feedId) };
  }

  /** A last notification to every device: once a feed has it, it has everything logged before it. */
  const sentinel = (user: TestUser) => user.post(appToken, { appNotificationId: `sentinel-${Date.now()}` });

  it('a read on one device reaches the other live devices, and an offline device when it resumes', async () => {
    const user = await newUser();
    const start = await feedCursor(t.url, user.token);
    const feeds = {
      desktop: await user.open('desktop', start),
      phone: await user.open('phone', start),
      iphone: await user.open('iphone', start),
    };
    const id = await user.post(appToken);
    for (const feed of Object.values(feeds)) expect((await feed.next()).kind).toBe('CREATED');
    // The iPhone goes offline, keeping the cursor of the last change it had.
    const iphoneCursor = feeds.iphone.received.at(-1)?.cursor as string;
    await feeds.iphone.close();

    const marked = dataOf(await updateState(t.url, user.token, { notification: { id }, readState: 'READ' }));
    expect(marked.updateNotificationState.notification).toMatchObject({ id, readState: 'READ' });

    for (const feed of [feeds.desktop, feeds.phone]) {
      const change = await feed.next();
      expect(change.kind).toBe('STATE_CHANGED');
      expect(change.notification).toMatchObject({ id, readState: 'READ', status: 'ACTIVE' });
    }
    expect((await stored(user, id)).notification?.readState).toBe('READ');

    // Back online with its stored cursor: the read first, not the creation again.
    const resumed = await user.open('iphone', iphoneCursor);
    const first = await resumed.next();
    expect(first.kind).toBe('STATE_CHANGED');
    expect(first.notification).toMatchObject({ id, readState: 'READ' });
  });

  it('shares DISMISSED and SNOOZED, refuses a bad snooze, and logs nothing for a no-op', async () => {
    const user = await newUser();
    const phone = await user.open('phone');
    const id = await user.post(appToken);
    expect((await phone.next()).kind).toBe('CREATED');

    dataOf(await updateState(t.url, user.token, { notification: { id }, userActionState: 'DISMISSED' }));
    const dismissed = await phone.next();
    expect(dismissed.kind).toBe('STATE_CHANGED');
    expect(dismissed.notification).toMatchObject({ id, userActionState: 'DISMISSED', snoozedUntil: null });

    const until = new Date(Date.now() + HOUR);
    until.setMilliseconds(0);
    const snoozed = dataOf(
      await updateState(t.url, user.token, {
        notification: { id },
        userActionState: 'SNOOZED',
        snoozedUntil: until.toISOString(),
      }),
    );
    expect(snoozed.updateNotificationState.notification).toMatchObject({
      userActionState: 'SNOOZED',
      snoozedUntil: until.toISOString(),
    });
    const snoozeChange = await phone.next();
    expect(snoozeChange.kind).toBe('STATE_CHANGED');
    expect(snoozeChange.notification).toMatchObject({
      id,
      userActionState: 'SNOOZED',
      snoozedUntil: until.toISOString(),
    });
    expect((await stored(user, id)).notification).toMatchObject({
      userActionState: 'SNOOZED',
      snoozedUntil: until,
    });

    // Refused, and nothing changes.
    const other = await user.post(appToken);
    expect((await phone.next()).notification?.id).toBe(other);
    const before = await stored(user, other);
    const refused = [
      { notification: { id: other }, userActionState: 'SNOOZED', snoozedUntil: fromNow(-HOUR) },
      { notification: { id: other }, userActionState: 'SNOOZED' },
      { notification: { id: other }, snoozedUntil: fromNow(HOUR) },
      { notification: { id: other }, userActionState: 'DISMISSED', snoozedUntil: fromNow(HOUR) },
      { notification: { id: other }, readState: 'READ', snoozedUntil: fromNow(HOUR) },
    ];
    for (const input of refused) {
      expect(errorCodes(await updateState(t.url, user.token, input)), JSON.stringify(input)).toEqual([
        'BAD_USER_INPUT',
      ]);
    }
    expect(await stored(user, other)).toEqual(before);

    // A no-op: the state it asks for is the state it has.
    const unchanged = dataOf(
      await updateState(t.url, user.token, { notification: { id: other }, readState: 'UNREAD' }),
    );
    expect(unchanged.updateNotificationState.notification).toMatchObject({ id: other, readState: 'UNREAD' });
    const again = dataOf(
      await updateState(t.url, user.token, {
        notification: { id },
        userActionState: 'SNOOZED',
        snoozedUntil: until.toISOString(),
      }),
    );
    expect(again.updateNotificationState.notification).toMatchObject({ userActionState: 'SNOOZED' });
    expect((await stored(user, other)).head).toEqual(before.head);

    // And no device hears of it: the next change the phone gets is the sentinel.
    const last = await sentinel(user);
    expect((await phone.next()).notification?.id).toBe(last);
  });

  it('markAllRead marks every unread notification, one change each, seen by the other devices', async () => {
    const user = await newUser();
    const desktop = await user.open('desktop');
    const ids = [await user.post(appToken), await user.post(appToken), await user.post(appToken)];
    dataOf(await updateState(t.url, user.token, { notification: { id: ids[0] }, readState: 'READ' }));
    await desktop.until((c) => c.kind === 'STATE_CHANGED');

    const marked = dataOf(
      await graphql<{ markAllRead: { count: number } }>(t.url, MARK_ALL_READ, {}, user.token),
    );
    expect(marked.markAllRead.count).toBe(2);
    const changes = [await desktop.next(), await desktop.next()];
    expect(changes.map((c) => c.kind)).toEqual(['STATE_CHANGED', 'STATE_CHANGED']);
    expect(changes.map((c) => c.notification?.id).sort()).toEqual([ids[1], ids[2]].sort());
    for (const change of changes) expect(change.notification?.readState).toBe('READ');
    for (const id of ids) expect((await stored(user, id as string)).notification?.readState).toBe('READ');

    // Nothing left to mark: count 0, nothing logged.
    const head = (await stored(user, ids[0] as string)).head;
    const none = dataOf(
      await graphql<{ markAllRead: { count: number } }>(t.url, MARK_ALL_READ, {}, user.token),
    );
    expect(none.markAllRead.count).toBe(0);
    expect((await stored(user, ids[0] as string)).head).toEqual(head);
    const last = await sentinel(user);
    expect((await desktop.next()).notification?.id).toBe(last);
  });

  it('posting the same appNotificationId again replaces the notification and resets its state', async () => {
    const user = await newUser();
    const phone = await user.open('phone');
    const first = dataOf(
      await postNotification(
        t.url,
        appToken,
        notificationInput(user.unsid('laptop'), app.app.targetHostName, {
          appNotificationId: 'order-42',
          payload: { visualContent: { title: 'Ordered', body: 'Order 42' } },
        }),
      ),
    ).createNotification;
    expect(first.outcome).toBe('CREATED');
    const id = first.notification.id as string;
    dataOf(
      await updateState(t.url, user.token, {
        notification: { id },
        readState: 'READ',
        userActionState: 'DISMISSED',
      }),
    );
    await phone.until((c) => c.kind === 'STATE_CHANGED');

    const second = dataOf(
      await postNotification(
        t.url,
        appToken,
        notificationInput(user.unsid('laptop'), app.app.targetHostName, {
          appNotificationId: 'order-42',
          payload: { visualContent: { title: 'Shipped', body: 'Order 42 is on its way' } },
        }),
      ),
    ).createNotification;
    expect(second.outcome).toBe('REPLACED');
    expect(second.notification).toMatchObject({
      id,
      readState: 'UNREAD',
      userActionState: 'NO_INTERACTION',
      status: 'ACTIVE',
      payload: { visualContent: { title: 'Shipped', body: 'Order 42 is on its way' } },
    });

    const replaced = await phone.next();
    expect(replaced.kind).toBe('REPLACED');
    expect(replaced.notification).toMatchObject({
      id,
      appNotificationId: 'order-42',
      readState: 'UNREAD',
      userActionState: 'NO_INTERACTION',
      payload: { visualContent: { title: 'Shipped', body: 'Order 42 is on its way' } },
    });
    expect((await stored(user, id)).notification).toMatchObject({
      readState: 'UNREAD',
      userActionState: 'NO_INTERACTION',
      visualContent: { title: 'Shipped', body: 'Order 42 is on its way' },
    });
    expect(await listedIds(t.url, user.token)).toEqual([id]);
  });

  it('deleting, by the user or by the app, removes the notification from every device for good', async () => {
    const user = await newUser();
    const start = await feedCursor(t.url, user.token);
    const feeds = [await user.open('laptop', start), await user.open('phone', start)];
    const byUser = await user.post(appToken, { appNotificationId: 'by-user' });
    const byAppKey = await user.post(appToken, { appNotificationId: 'by-app-key' });
    const byAppId = await user.post(appToken, { appNotificationId: 'by-app-id' });
    const kept = await user.post(appToken, { appNotificationId: 'kept' });
    for (const feed of feeds) await untilNotification(feed, kept);

    const deletes: Array<[string, string, Record<string, unknown>]> = [
      [byUser, user.token, { id: byUser }],
      [byAppKey, appToken, { deviceSubscriptionId: user.unsid('phone'), appNotificationId: 'by-app-key' }],
      [byAppId, appToken, { id: byAppId }],
    ];
    for (const [id, token, ref] of deletes) {
      const deleted = dataOf(
        await graphql<{ deleteNotification: { notificationId: string } }>(
          t.url,
          DELETE_NOTIFICATION,
          { notification: ref },
          token,
        ),
      );
      expect(deleted.deleteNotification.notificationId).toBe(id);
      for (const feed of feeds) {
        const change = await feed.next();
        expect(change.kind).toBe('DELETED');
        expect(change.notification).toMatchObject({ id, status: 'DELETED' });
      }
      expect((await stored(user, id)).notification?.status).toBe('DELETED');
      expect(errorCodes(await graphql(t.url, NOTIFICATION, { notification: { id } }, user.token))).toEqual([
        'NOT_FOUND',
      ]);
      expect(errorCodes(await graphql(t.url, NOTIFICATION, { notification: { id } }, appToken))).toEqual([
        'NOT_FOUND',
      ]);
      // Deleting it again: it is not there any more, whoever asks and however.
      const head = (await stored(user, id)).head;
      for (const [again, againToken] of [
        [ref, token],
        [{ id }, user.token],
        [{ id }, appToken],
      ] as const) {
        expect(
          errorCodes(await graphql(t.url, DELETE_NOTIFICATION, { notification: again }, againToken)),
        ).toEqual(['NOT_FOUND']);
      }
      expect((await stored(user, id)).head).toEqual(head);
    }
    expect(await listedIds(t.url, user.token)).toEqual([kept]);
    expect(await listedIds(t.url, appToken, user.unsid('laptop'))).toEqual([kept]);

    // A device replaying from before the creations: every change of a deleted notification says
    // DELETED, so no device ever shows it again, even for a moment.
    const replay = await user.open('desktop', start);
    const last = await sentinel(user);
    const changes = await untilNotification(replay, last);
    for (const id of [byUser, byAppKey, byAppId]) {
      const ofIt = changes.filter((c) => c.notification?.id === id);
      expect(ofIt.map((c) => c.kind)).toEqual(['CREATED', 'DELETED']);
      for (const change of ofIt) expect(change.notification?.status).toBe('DELETED');
    }
    expect(changes.filter((c) => c.notification?.id === kept).map((c) => c.notification?.status)).toEqual([
      'ACTIVE',
    ]);
  });

  it('deleteNotificationGroup deletes each active notification of the group, and only those', async () => {
    const user = await newUser();
    const phone = await user.open('phone');
    const sports = [
      await user.post(appToken, { groupName: 'sports' }),
      await user.post(appToken, { groupName: 'sports' }),
    ];
    const alreadyDeleted = await user.post(appToken, { groupName: 'sports' });
    dataOf(await graphql(t.url, DELETE_NOTIFICATION, { notification: { id: alreadyDeleted } }, user.token));
    const news = [
      await user.post(appToken, { groupName: 'news' }),
      await user.post(appToken, { groupName: 'news' }),
    ];
    const ungrouped = await user.post(appToken);
    await untilNotification(phone, ungrouped);

    // By the user.
    const byUser = dataOf(
      await graphql<{ deleteNotificationGroup: { notificationIds: string[] } }>(
        t.url,
        DELETE_GROUP,
        { groupName: 'sports' },
        user.token,
      ),
    );
    expect([...byUser.deleteNotificationGroup.notificationIds].sort()).toEqual([...sports].sort());
    const sportsChanges = [await phone.next(), await phone.next()];
    expect(sportsChanges.map((c) => c.kind)).toEqual(['DELETED', 'DELETED']);
    expect(sportsChanges.map((c) => c.notification?.id).sort()).toEqual([...sports].sort());
    expect((await listedIds(t.url, user.token)).sort()).toEqual([...news, ungrouped].sort());

    // By the app, naming the user with a UNSID.
    const byApp = dataOf(
      await graphql<{ deleteNotificationGroup: { notificationIds: string[] } }>(
        t.url,
        DELETE_GROUP,
        { groupName: 'news', deviceSubscriptionId: user.unsid('iphone') },
        appToken,
      ),
    );
    expect([...byApp.deleteNotificationGroup.notificationIds].sort()).toEqual([...news].sort());
    const newsChanges = [await phone.next(), await phone.next()];
    expect(newsChanges.map((c) => c.kind)).toEqual(['DELETED', 'DELETED']);
    expect(newsChanges.map((c) => c.notification?.id).sort()).toEqual([...news].sort());
    expect(await listedIds(t.url, user.token)).toEqual([ungrouped]);
    expect((await stored(user, ungrouped)).notification?.status).toBe('ACTIVE');

    // A group with nothing active left: no ids, nothing logged, nothing sent.
    const head = (await stored(user, ungrouped)).head;
    const empty = dataOf(
      await graphql<{ deleteNotificationGroup: { notificationIds: string[] } }>(
        t.url,
        DELETE_GROUP,
        { groupName: 'sports' },
        user.token,
      ),
    );
    expect(empty.deleteNotificationGroup.notificationIds).toEqual([]);
    expect((await stored(user, ungrouped)).head).toEqual(head);
    const last = await sentinel(user);
    expect((await phone.next()).notification?.id).toBe(last);
  });

  it('updateNotification by the app changes content and keeps state; bad updates change nothing', async () => {
    const user = await newUser();
    const phone: FeedClient = await user.open('phone');
    const id = await user.post(appToken, {
      appNotificationId: 'match',
      priority: 'LOW',
      payload: { visualContent: { title: 'Kick-off', body: '0-0' } },
    });
    dataOf(await updateState(t.url, user.token, { notification: { id }, readState: 'READ' }));
    await phone.until((c) => c.kind === 'STATE_CHANGED');

    const expiration = new Date(Date.now() + 2 * DAY);
    expiration.setMilliseconds(0);
    const updated = dataOf(
      await graphql<{ updateNotification: { notification: Record<string, unknown> } }>(
        t.url,
        UPDATE_NOTIFICATION,
        {
          input: {
            notification: { deviceSubscriptionId: user.unsid('laptop'), appNotificationId: 'match' },
            payload: { visualContent: { title: 'Half-time', body: '1-0' } },
            priority: 'HIGH',
            expirationDateTime: expiration.toISOString(),
          },
        },
        appToken,
      ),
    );
    const expected = {
      id,
      readState: 'READ',
      status: 'ACTIVE',
      priority: 'HIGH',
      expirationDateTime: expiration.toISOString(),
      payload: { visualContent: { title: 'Half-time', body: '1-0' } },
    };
    expect(updated.updateNotification.notification).toMatchObject(expected);
    const change = await phone.next();
    expect(change.kind).toBe('UPDATED');
    expect(change.notification).toMatchObject(expected);
    expect((await stored(user, id)).notification).toMatchObject({
      readState: 'READ',
      priority: 'HIGH',
      expirationDateTime: expiration,
      visualContent: { title: 'Half-time', body: '1-0' },
    });

    // By id too.
    dataOf(
      await graphql(
        t.url,
        UPDATE_NOTIFICATION,
        { input: { notification: { id }, payload: { visualContent: { title: 'Full-time', body: '2-1' } } } },
        appToken,
      ),
    );
    const byId = await phone.next();
    expect(byId.kind).toBe('UPDATED');
    expect(byId.notification).toMatchObject({
      id,
      readState: 'READ',
      priority: 'HIGH',
      payload: { visualContent: { title: 'Full-time', body: '2-1' } },
    });

    // Refused: nothing stored, nothing logged.
    const before = await stored(user, id);
    const refused: Array<[Record<string, unknown>, string, string]> = [
      [{ payload: { visualContent: { title: '' } } }, appToken, 'BAD_USER_INPUT'],
      [{ payload: {} }, appToken, 'BAD_USER_INPUT'],
      [{ expirationDateTime: fromNow(31 * DAY) }, appToken, 'BAD_USER_INPUT'],
      [{ expirationDateTime: fromNow(-HOUR) }, appToken, 'BAD_USER_INPUT'],
      [{ priority: 'NONE' }, user.token, 'FORBIDDEN'],
    ];
    for (const [fields, token, code] of refused) {
      const response = await graphql(
        t.url,
        UPDATE_NOTIFICATION,
        { input: { notification: { id }, ...fields } },
        token,
      );
      expect(errorCodes(response), JSON.stringify(fields)).toEqual([code]);
    }
    expect(await stored(user, id)).toEqual(before);
    const last = await sentinel(user);
    expect((await phone.next()).notification?.id).toBe(last);
  });
});
