import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import type { FeedClient, ReceivedChange } from '../support/feed-client.js';
import { startGateway, type TestApp, type TestGateway } from '../support/gateway.js';
import { dataOf, errorCodes, graphql } from '../support/graphql-http.js';
import { createDevice, feedCursor } from '../support/operations.js';
import {
  ACKNOWLEDGE,
  craftCursor,
  createUser,
  cursorPosition,
  type DeviceDeliveryView,
  eventually,
  NOTIFICATION_DELIVERY,
  type TestUser,
} from '../support/state-operations.js';

const SECOND = 1000;

// Alice runs app X on five devices. The app posts one notification to the web, Android and iOS: the
// browser and the phone are live and receive it; the browser acknowledges it; the laptop, offline,
// acknowledges what it loaded with the `notifications` query; the tablet is offline; the PC (Windows)
// is not targeted. The app then asks how its notification was delivered.
describe('acknowledgements and per-device delivery', () => {
  let t: TestGateway;
  const clock = { now: new Date() };
  const t0 = clock.now;
  let appX: TestApp;
  let appY: TestApp;
  let tokens: { appX: string; appY: string; bob: string; aliceInY: string };
  let alice: TestUser;
  let aliceInY: string;
  let feeds: { browser: FeedClient; phone: FeedClient; pc: FeedClient };
  let notificationId: string;
  let created: { browser: ReceivedChange; phone: ReceivedChange };

  beforeAll(async () => {
    t = await startGateway({ now: () => clock.now, env: { TIDINGS_SWEEP_INTERVAL_MS: '0' } });
    appX = await t.registerApp('x.example.com');
    appY = await t.registerApp('y.example.com');
    const bobToken = await t.userToken('bob', appX.app);
    const aliceYToken = await t.userToken('alice', appY.app);
    tokens = { appX: await appX.token(), appY: await appY.token(), bob: bobToken, aliceInY: aliceYToken };
    alice = await createUser(t, appX, 'alice', {
      browser: 'WEB',
      phone: 'ANDROID',
      tablet: 'IOS',
      pc: 'WINDOWS',
      laptop: 'WEB',
    });
    await createDevice(t.url, bobToken, 'WEB');
    aliceInY = await createDevice(t.url, aliceYToken, 'WEB');
    feeds = {
      browser: await alice.open('browser'),
      phone: await alice.open('phone'),
      pc: await alice.open('pc'),
    };
    notificationId = await alice.post(tokens.appX, {
      appNotificationId: 'invoice-7',
      targetPolicy: { platformTypes: ['WEB', 'ANDROID', 'IOS'] },
    });
    created = { browser: await feeds.browser.next(), phone: await feeds.phone.next() };
    for (const change of Object.values(created)) {
      expect(change).toMatchObject({ kind: 'CREATED', notification: { id: notificationId } });
    }
  });

  /** The app's view of its notification's delivery, by id; the devices by name. */
  async function delivery(ref: Record<string, unknown> = { id: notificationId }, token = tokens.appX) {
    const response = await graphql<{
      notificationDelivery: {
        notification: { id: string; appNotificationId: string };
        devices: DeviceDeliveryView[];
      };
    }>(t.url, NOTIFICATION_DELIVERY, { notification: ref }, token);
    const { notification, devices } = dataOf(response).notificationDelivery;
    const byName: Record<string, DeviceDeliveryView> = {};
    for (const device of devices) {
      const name = Object.entries(alice.devices).find(
        ([, unsid]) => unsid === device.deviceSubscriptionId,
      )?.[0];
      byName[name ?? `unknown:${device.deviceSubscriptionId}`] = device;
    }
    return { notification, devices: byName, count: devices.length };
  }

  const view = (
    name: string,
    platform: string,
    targeted: boolean,
    delivered: Date | null,
    acknowledged: Date | null,
  ): DeviceDeliveryView => ({
    deviceSubscriptionId: alice.unsid(name),
    platform,
    deviceLabel: name,
    targeted,
    deliveredDateTime: delivered?.toISOString() ?? null,
    acknowledgedDateTime: acknowledged?.toISOString() ?? null,
  });

  it('records per-device delivery and acknowledgement, and shows them to the app', async () => {
    // Delivered: noted when sent on the live feed, written by the recorder's flush (at the clock's t0).
    const delivered = await eventually(async () => {
      await t.gateway.services.deliveries.flush();
      const state = await delivery();
      expect(state.devices.browser?.deliveredDateTime).not.toBeNull();
      expect(state.devices.phone?.deliveredDateTime).not.toBeNull();
      return state;
    });
    expect(delivered.notification).toEqual({ id: notificationId, appNotificationId: 'invoice-7' });
    expect(delivered.count).toBe(5);
    expect(delivered.devices).toEqual({
      browser: view('browser', 'WEB', true, t0, null),
      phone: view('phone', 'ANDROID', true, t0, null),
      tablet: view('tablet', 'IOS', true, null, null),
      pc: view('pc', 'WINDOWS', false, null, null),
      laptop: view('laptop', 'WEB', true, null, null),
    });

    // Ten seconds later the browser acknowledges the change it got; the laptop, which loaded the feed
    // with the notifications query, acknowledges up to that page's feed cursor.
    clock.now = new Date(t0.getTime() + 10 * SECOND);
    const t1 = clock.now;
    const acked = dataOf(
      await graphql<{ acknowledgeNotifications: { deviceSubscriptionId: string; cursor: string } }>(
        t.url,
        ACKNOWLEDGE,
        { deviceSubscriptionId: alice.unsid('browser'), upTo: created.browser.cursor },
        alice.token,
      ),
    );
    expect(acked.acknowledgeNotifications).toEqual({
      deviceSubscriptionId: alice.unsid('browser'),
      cursor: created.browser.cursor,
    });
    const loaded = await feedCursor(t.url, alice.token);
    dataOf(
      await graphql(
        t.url,
        ACKNOWLEDGE,
        { deviceSubscriptionId: alice.unsid('laptop'), upTo: loaded },
        alice.token,
      ),
    );

    const expected = {
      browser: view('browser', 'WEB', true, t0, t1),
      phone: view('phone', 'ANDROID', true, t0, null),
      tablet: view('tablet', 'IOS', true, null, null),
      pc: view('pc', 'WINDOWS', false, null, null),
      laptop: view('laptop', 'WEB', true, t1, t1),
    };
    expect((await delivery()).devices).toEqual(expected);
    // The same, asked by the user's UNSID and the app's own key.
    const byKey = await delivery({
      deviceSubscriptionId: alice.unsid('tablet'),
      appNotificationId: 'invoice-7',
    });
    expect(byKey.notification).toEqual({ id: notificationId, appNotificationId: 'invoice-7' });
    expect(byKey.devices).toEqual(expected);

    // A later acknowledgement does not move the first one.
    clock.now = new Date(t0.getTime() + 20 * SECOND);
    dataOf(
      await graphql(
        t.url,
        ACKNOWLEDGE,
        { deviceSubscriptionId: alice.unsid('browser'), upTo: await feedCursor(t.url, alice.token) },
        alice.token,
      ),
    );
    expect((await delivery()).devices).toEqual(expected);
  });

  it('does not count a device as having a notification it was never sent', async () => {
    // The PC (not targeted) is live, and receives the next notification, posted to every platform.
    const next = await alice.post(tokens.appX);
    expect(await feeds.pc.next()).toMatchObject({ kind: 'CREATED', notification: { id: next } });
    await eventually(async () => {
      await t.gateway.services.deliveries.flush();
      const state = await delivery({ id: next });
      expect(state.devices.pc?.deliveredDateTime).not.toBeNull();
    });
    const state = await delivery();
    expect(state.devices.pc).toMatchObject({
      targeted: false,
      deliveredDateTime: null,
      acknowledgedDateTime: null,
    });
  });

  it('does not count a device whose feed started after the notification as having it', async () => {
    // The tablet (IOS, targeted) connects with no cursor: its feed starts at the head, after invoice-7.
    const tablet = await alice.open('tablet', null);
    let next = '';
    // No acknowledgement tells when the feed is live: post until the tablet receives one of the posts
    // (any: one that arrives after its attempt gave up is taken by the next attempt, not a mismatch).
    const posted: string[] = [];
    await eventually(async () => {
      posted.push(await alice.post(tokens.appX));
      next = (await tablet.next(200)).notification?.id as string;
      expect(posted).toContain(next);
    });
    await eventually(async () => {
      await t.gateway.services.deliveries.flush();
      expect((await delivery({ id: next })).devices.tablet?.deliveredDateTime).not.toBeNull();
    });
    expect((await delivery()).devices.tablet).toMatchObject({ targeted: true, deliveredDateTime: null });
  });

  it('refuses bad acknowledgements and changes nothing', async () => {
    const store = t.gateway.services.store;
    const notification = await store.findNotificationById(notificationId);
    if (!notification) throw new Error('the notification is gone');
    const before = await store.deliveryOf(notification, clock.now);
    const head = await store.feedHead(alice.feedId);
    const { epoch } = cursorPosition(await feedCursor(t.url, alice.token));
    const ack = (deviceSubscriptionId: string, upTo: string, token = alice.token) =>
      graphql(t.url, ACKNOWLEDGE, { deviceSubscriptionId, upTo }, token);
    const valid = craftCursor(epoch, head.offset);

    // Beyond the head: the device cannot have received what does not exist.
    expect(errorCodes(await ack(alice.unsid('phone'), craftCursor(epoch, head.offset + 1)))).toEqual([
      'BAD_USER_INPUT',
    ]);
    expect(errorCodes(await ack(alice.unsid('phone'), craftCursor(randomUUID(), head.offset)))).toEqual([
      'BAD_USER_INPUT',
    ]);
    expect(errorCodes(await ack(alice.unsid('phone'), 'not-a-cursor'))).toEqual(['BAD_USER_INPUT']);
    // Another user's UNSID, one of another app, and one that does not exist: all alike.
    const bobsAck = await ack(alice.unsid('phone'), valid, tokens.bob);
    expect(errorCodes(bobsAck)).toEqual(['NOT_FOUND']);
    const foreignAck = await ack(aliceInY, valid);
    expect(errorCodes(foreignAck)).toEqual(['NOT_FOUND']);
    const unknownAck = await ack('no-such-unsid', valid);
    expect(errorCodes(unknownAck)).toEqual(['NOT_FOUND']);
    expect(bobsAck.errors?.[0]?.message).toBe(unknownAck.errors?.[0]?.message);
    // An app does not acknowledge for a device.
    expect(errorCodes(await ack(alice.unsid('phone'), valid, tokens.appX))).toEqual(['FORBIDDEN']);

    expect(await store.deliveryOf(notification, clock.now)).toEqual(before);
    expect(await store.feedHead(alice.feedId)).toEqual(head);
  });

  it("notificationDelivery is the app's own: NOT_FOUND for another app's, FORBIDDEN for a user", async () => {
    const ask = (variables: Record<string, unknown>, token: string) =>
      graphql(t.url, NOTIFICATION_DELIVERY, { notification: variables }, token);
    const foreign = await ask({ id: notificationId }, tokens.appY);
    const unknown = await ask({ id: randomUUID() }, tokens.appY);
    expect(errorCodes(foreign)).toEqual(['NOT_FOUND']);
    expect(errorCodes(unknown)).toEqual(['NOT_FOUND']);
    expect(foreign.errors?.[0]?.message).toBe(unknown.errors?.[0]?.message);
    expect(
      errorCodes(
        await ask(
          { deviceSubscriptionId: alice.unsid('phone'), appNotificationId: 'invoice-7' },
          tokens.appY,
        ),
      ),
    ).toEqual(['NOT_FOUND']);
    expect(
      errorCodes(await ask({ deviceSubscriptionId: aliceInY, appNotificationId: 'invoice-7' }, tokens.appY)),
    ).toEqual(['NOT_FOUND']);
    expect(errorCodes(await ask({ id: notificationId }, alice.token))).toEqual(['FORBIDDEN']);
    expect(errorCodes(await ask({ id: notificationId }, tokens.aliceInY))).toEqual(['FORBIDDEN']);
  });
});
