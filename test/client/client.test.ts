import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  createLocalStorageCursorStore,
  createMemoryCursorStore,
  type FeedUpdate,
  TidingsClientError,
} from '../../src/client/index.js';
import { createGate, startClientApp } from '../support/client-app.js';
import { createTestClock } from '../support/clock.js';
import { startGateway, type TestGateway, temporaryDataDir } from '../support/gateway.js';
import { dataOf, graphql } from '../support/graphql-http.js';
import {
  CREATE_DEVICE,
  createDevice,
  feedCursor,
  notificationInput,
  postNotification,
} from '../support/operations.js';
import { craftCursor, NOTIFICATION_DELIVERY } from '../support/state-operations.js';

const HOST = 'client.example.com';

/** A gateway, an app, and alice with a WEB device. */
async function setup(t?: TestGateway) {
  const gateway = t ?? (await startGateway());
  const app = await gateway.registerApp(HOST);
  const appToken = await app.token();
  const userToken = await gateway.userToken('alice', app.app);
  const unsid = await createDevice(gateway.url, userToken, 'WEB', 'laptop');
  return {
    t: gateway,
    app,
    appToken,
    userToken,
    unsid,
    /** Posts a notification to alice; resolves with its id. */
    async post(appNotificationId: string, overrides: Record<string, unknown> = {}, url = gateway.url) {
      const posted = await postNotification(
        url,
        appToken,
        notificationInput(unsid, HOST, { appNotificationId, ...overrides }),
      );
      return dataOf(posted).createNotification.notification.id as string;
    },
  };
}

const snapshotIds = (update: FeedUpdate | undefined) =>
  update?.type === 'snapshot' ? update.notifications.map((n) => n.appNotificationId) : undefined;

describe('the client library', () => {
  it('starts from a snapshot, follows the feed live, and saves each cursor only once the app handled it', async () => {
    const s = await setup();
    await s.post('old');
    const cursors = createMemoryCursorStore();
    const slow = createGate();
    const cursorWhileHandling: Array<string | null> = [];
    const first = startClientApp({
      url: s.t.url,
      deviceSubscriptionId: s.unsid,
      token: () => s.userToken,
      cursorStore: cursors,
      async onUpdate(update) {
        if (update.type === 'change' && update.notification.appNotificationId === 'slow') {
          cursorWhileHandling.push(cursors.cursor);
          await slow.opened;
        }
      },
    });
    await first.until(() => first.updates.length === 1, 'the snapshot');
    expect(first.updates[0]).toMatchObject({ type: 'snapshot', reason: 'start' });
    expect(snapshotIds(first.updates[0])).toEqual(['old']);
    const afterSnapshot = cursors.cursor;
    expect(afterSnapshot).toBe(await feedCursor(s.t.url, s.userToken));

    await first.untilStatus('live');
    await s.post('slow');
    await first.until(() => cursorWhileHandling.length === 1, 'the slow change being handled');
    expect(cursorWhileHandling).toEqual([afterSnapshot]); // not saved while the app handles it
    slow.open();
    const handled = await first.untilChange('slow', 'CREATED');
    await first.until(() => cursors.cursor === handled.cursor, 'the cursor saved');
    expect(handled.notification).toMatchObject({
      targetHostName: HOST,
      readState: 'UNREAD',
      status: 'ACTIVE',
      payload: { visualContent: { title: 'Hello', body: 'World' }, rawContent: null },
    });
    await first.client.close();
    expect(first.client.status).toEqual({ state: 'closed' });

    // Away: the next start resumes from the saved cursor, with exactly what was missed.
    await s.post('missed-1');
    await s.post('missed-2');
    const second = startClientApp({
      url: s.t.url,
      deviceSubscriptionId: s.unsid,
      token: () => s.userToken,
      cursorStore: cursors,
    });
    await second.untilChange('missed-2');
    expect(second.updates.map((update) => update.type)).toEqual(['change', 'change']);
    expect(second.changes()).toEqual(['missed-1', 'missed-2']);
  });

  it('survives a gateway restart on the same port, with a change posted while it was away', async () => {
    const dataDir = temporaryDataDir();
    const s = await setup(await startGateway({ dataDir }));
    const port = Number(new URL(s.t.url).port);
    const reconnect = createGate();
    const app = startClientApp({
      url: s.t.url,
      deviceSubscriptionId: s.unsid,
      token: () => s.userToken,
      retryWait: () => reconnect.opened,
    });
    await app.untilStatus('live');
    await s.post('before');
    await app.untilChange('before');

    await s.t.close();
    expect(await app.untilStatus('reconnecting')).toEqual({ state: 'reconnecting', closeCode: 1001 });
    const restarted = await startGateway({ dataDir, port });
    await s.post('while-away', {}, restarted.url);
    reconnect.open();

    await app.untilChange('while-away');
    // Resumed after the last change it had, not from where it first subscribed: no repeat of 'before'.
    expect(app.changes()).toEqual(['before', 'while-away']);
    expect(app.client.status).toEqual({ state: 'live' });
  });

  it('gets a fresh token when the gateway closes the socket for an expired one, and loses nothing', async () => {
    // The gateway's clock stands still until the test moves it, with no clock tolerance: a token that
    // lasts a second is closed (4403) only once the test moves the clock past it.
    const clock = createTestClock();
    const s = await setup(await startGateway({ now: clock.now, env: { TIDINGS_CLOCK_TOLERANCE: '0' } }));
    const shortToken = await s.t.userToken('alice', s.app.app, 1);
    const asked: boolean[] = [];
    const reconnect = createGate();
    const app = startClientApp({
      url: s.t.url,
      deviceSubscriptionId: s.unsid,
      cursorStore: createMemoryCursorStore(await feedCursor(s.t.url, s.userToken)),
      token: ({ refresh }) => {
        asked.push(refresh);
        return refresh ? s.userToken : shortToken;
      },
      retryWait: () => reconnect.opened,
    });
    await app.untilStatus('live');
    await s.post('before');
    await app.untilChange('before');

    clock.advance(2000);
    expect(await app.untilStatus('reconnecting')).toEqual({ state: 'reconnecting', closeCode: 4403 });
    await s.post('while-expired');
    reconnect.open();

    await app.untilChange('while-expired');
    expect(app.changes()).toEqual(['before', 'while-expired']);
    expect(asked.at(-1)).toBe(true);
    expect(asked.filter((refresh) => refresh)).toHaveLength(1);
  });

  it('changes shared state over HTTP, and every device of the user, this one too, gets it', async () => {
    const s = await setup();
    const phone = await createDevice(s.t.url, s.userToken, 'WEB', 'phone');
    const read = await s.post('to-read');
    const dismissed = await s.post('to-dismiss', { groupName: 'chat' });
    const deleted = await s.post('to-delete');
    await s.post('other-unread');
    const laptopApp = startClientApp({
      url: s.t.url,
      deviceSubscriptionId: s.unsid,
      token: () => s.userToken,
    });
    const phoneApp = startClientApp({ url: s.t.url, deviceSubscriptionId: phone, token: () => s.userToken });
    await laptopApp.untilStatus('live');
    await phoneApp.untilStatus('live');
    const laptop = laptopApp.client;

    expect(await laptop.markRead(read)).toMatchObject({ id: read, readState: 'READ' });
    expect(await laptop.dismiss(dismissed)).toMatchObject({ id: dismissed, userActionState: 'DISMISSED' });
    await laptop.deleteNotification(deleted);
    for (const app of [laptopApp, phoneApp]) {
      expect((await app.untilChange('to-read', 'STATE_CHANGED')).notification.readState).toBe('READ');
      expect((await app.untilChange('to-dismiss', 'STATE_CHANGED')).notification.userActionState).toBe(
        'DISMISSED',
      );
      expect((await app.untilChange('to-delete', 'DELETED')).notification.status).toBe('DELETED');
    }
    expect(await laptop.markAllRead()).toBe(2); // to-dismiss and other-unread
    await phoneApp.untilChange('other-unread', 'STATE_CHANGED');
    expect(await laptop.deleteGroup('chat')).toEqual([dismissed]);
    await phoneApp.untilChange('to-dismiss', 'DELETED');

    // Acknowledged up to what it handled: the app service sees it per device.
    await laptopApp.untilChange('to-dismiss', 'DELETED');
    expect(await laptop.acknowledge()).not.toBeNull();
    const delivery = dataOf(
      await graphql<{
        notificationDelivery: {
          devices: Array<{ deviceSubscriptionId: string; acknowledgedDateTime: string | null }>;
        };
      }>(s.t.url, NOTIFICATION_DELIVERY, { notification: { id: read } }, s.appToken),
    ).notificationDelivery.devices;
    expect(
      delivery.find((device) => device.deviceSubscriptionId === s.unsid)?.acknowledgedDateTime,
    ).not.toBeNull();
    expect(delivery.find((device) => device.deviceSubscriptionId === phone)?.acknowledgedDateTime).toBeNull();

    // Another user's notification is not found, as one that does not exist.
    const bobToken = await s.t.userToken('bob', s.app.app);
    const bobsDevice = await createDevice(s.t.url, bobToken, 'WEB');
    const bobs = dataOf(await postNotification(s.t.url, s.appToken, notificationInput(bobsDevice, HOST)))
      .createNotification.notification.id as string;
    for (const id of [bobs, 'no-such-notification']) {
      const refused = await laptop.markRead(id).catch((error: unknown) => error);
      expect(refused).toBeInstanceOf(TidingsClientError);
      expect((refused as TidingsClientError).code).toBe('NOT_FOUND');
    }
  });

  it('reloads the feed when the gateway answers RESYNC, then carries on after the RESYNC cursor', async () => {
    const s = await setup();
    await s.post('kept');
    const goneEpoch = craftCursor(randomUUID(), 3);
    const cursors = createMemoryCursorStore(goneEpoch);
    const app = startClientApp({
      url: s.t.url,
      deviceSubscriptionId: s.unsid,
      token: () => s.userToken,
      cursorStore: cursors,
    });
    await app.until(() => app.updates.length === 1, 'the resync');
    expect(app.updates[0]).toMatchObject({ type: 'snapshot', reason: 'resync' });
    expect(snapshotIds(app.updates[0])).toEqual(['kept']);
    await app.until(() => cursors.cursor !== goneEpoch, 'the cursor saved');
    expect(cursors.cursor).toBe(await feedCursor(s.t.url, s.userToken));

    await s.post('after');
    await app.untilChange('after');
    expect(app.updates.map((update) => update.type)).toEqual(['snapshot', 'change']);
  });

  it('leaves out of its snapshot what is not targeted at its platform, as the live feed does', async () => {
    const s = await setup();
    await s.post('for-phones', { targetPolicy: { platformTypes: ['ANDROID', 'IOS'] } });
    await s.post('for-the-web', { targetPolicy: { platformTypes: ['WEB'] } });
    await s.post('for-all');
    const app = startClientApp({ url: s.t.url, deviceSubscriptionId: s.unsid, token: () => s.userToken });
    await app.until(() => app.updates.length === 1, 'the snapshot');
    expect(snapshotIds(app.updates[0])).toEqual(['for-all', 'for-the-web']);
  });

  it('renews its device subscription before it expires', async () => {
    const s = await setup();
    const expiresSoon = new Date(Date.now() + 5000).toISOString();
    const device = dataOf(
      await graphql<{ createDeviceSubscription: { id: string } }>(
        s.t.url,
        CREATE_DEVICE,
        { input: { platform: 'WEB', deviceLabel: 'short-lived', expirationDateTime: expiresSoon } },
        s.userToken,
      ),
    ).createDeviceSubscription.id;
    const renewals: string[] = [];
    const app = startClientApp({
      url: s.t.url,
      deviceSubscriptionId: device,
      token: () => s.userToken,
      renewBeforeMs: 4000, // so it renews about a second after it starts, while the feed is live
      onDeviceRenewed: (renewed) => renewals.push(renewed.expirationDateTime),
    });
    await app.untilStatus('live');
    await app.until(() => renewals.length === 1, 'the renewal');
    const stored = await s.t.gateway.services.store.findDeviceSubscription(device);
    expect(stored?.expirationDateTime.toISOString()).toBe(renewals[0]);
    // The gateway's default lifetime: 30 days from now.
    expect(Date.parse(renewals[0] as string) - Date.now()).toBeGreaterThan(29 * 24 * 3600 * 1000);
    expect(app.client.device?.expirationDateTime).toBe(renewals[0]);
    expect(app.statuses.some((status) => status.state === 'failed')).toBe(false);
  });

  it('ends when its device subscription is deleted, and fails with NOT_FOUND on an unknown one', async () => {
    const s = await setup();
    const app = startClientApp({ url: s.t.url, deviceSubscriptionId: s.unsid, token: () => s.userToken });
    await app.untilStatus('live');
    dataOf(
      await graphql(
        s.t.url,
        'mutation ($id: ID!) { deleteDeviceSubscription(input: { deviceSubscriptionId: $id }) { deviceSubscriptionId } }',
        { id: s.unsid },
        s.userToken,
      ),
    );
    await app.untilStatus('ended');

    const unknown = startClientApp({
      url: s.t.url,
      deviceSubscriptionId: 'no-such-unsid',
      token: () => s.userToken,
    });
    const failed = await unknown.untilStatus('failed');
    expect(failed.state === 'failed' && (failed.error as TidingsClientError).code).toBe('NOT_FOUND');
  });

  it('stops with HANDLER_FAILED when the app cannot handle a change, and keeps its cursor before it', async () => {
    const s = await setup();
    const cursors = createMemoryCursorStore(await feedCursor(s.t.url, s.userToken));
    const before = cursors.cursor;
    const app = startClientApp({
      url: s.t.url,
      deviceSubscriptionId: s.unsid,
      token: () => s.userToken,
      cursorStore: cursors,
      onUpdate: () => {
        throw new Error('the app broke');
      },
    });
    await app.untilStatus('live');
    await s.post('unhandled');
    const failed = await app.untilStatus('failed');
    expect(failed.state === 'failed' && (failed.error as TidingsClientError).code).toBe('HANDLER_FAILED');
    expect(before).not.toBeNull();
    expect(cursors.cursor).toBe(before);
  });

  it('closes at once while it waits to reconnect, whatever the wait', async () => {
    const s = await setup();
    let waits = 0;
    const app = startClientApp({
      url: s.t.url,
      deviceSubscriptionId: s.unsid,
      token: () => s.userToken,
      // A wait that never ends by itself: close() must not wait for it.
      retryWait: () => {
        waits++;
        return new Promise<void>(() => {});
      },
    });
    await app.untilStatus('live');
    await s.t.close();
    await app.until(() => waits > 0, 'the wait before a reconnect');
    await app.client.close();
    expect(app.client.status).toEqual({ state: 'closed' });
  });

  it('does not renew in a loop when asked to renew earlier than the lifetime allows', async () => {
    const s = await setup();
    const renewals: string[] = [];
    const app = startClientApp({
      url: s.t.url,
      deviceSubscriptionId: s.unsid,
      token: () => s.userToken,
      renewBeforeMs: 31 * 24 * 3600 * 1000, // the gateway renews for 30 days: always "due"
      onDeviceRenewed: (renewed) => renewals.push(renewed.expirationDateTime),
    });
    await app.until(() => renewals.length === 1, 'the first renewal');
    // Twenty round trips to the gateway: a renewal loop would have renewed again meanwhile.
    for (let i = 0; i < 20; i++) await app.client.markAllRead();
    expect(renewals).toHaveLength(1);
  });

  it('keeps a cursor in a Web Storage (localStorage in browsers)', async () => {
    const items = new Map<string, string>();
    const storage = {
      getItem: (key: string) => items.get(key) ?? null,
      setItem: (key: string, value: string) => void items.set(key, value),
    };
    const store = createLocalStorageCursorStore('tidings.cursor.unsid-1', storage);
    expect(await store.load()).toBeNull();
    const position = { cursor: 'cursor-1', fallbacks: ['fell-back-1'] };
    await store.save(position);
    expect(JSON.parse(items.get('tidings.cursor.unsid-1') ?? 'null')).toEqual(position);
    expect(await createLocalStorageCursorStore('tidings.cursor.unsid-1', storage).load()).toEqual(position);
    // What earlier versions saved: a bare cursor.
    items.set('tidings.cursor.unsid-2', 'cursor-2');
    expect(await createLocalStorageCursorStore('tidings.cursor.unsid-2', storage).load()).toEqual({
      cursor: 'cursor-2',
      fallbacks: [],
    });
    expect(() => createLocalStorageCursorStore('key')).toThrow(TypeError); // Node has no localStorage
  });
});
