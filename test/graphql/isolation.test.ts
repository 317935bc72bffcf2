import { beforeAll, describe, expect, it } from 'vitest';
import { openFeed } from '../support/feed-client.js';
import { startGateway, type TestApp, type TestGateway } from '../support/gateway.js';
import { dataOf, errorCodes, graphql } from '../support/graphql-http.js';
import { createDevice, FEED, notificationInput, postNotification } from '../support/operations.js';

const NOTIFICATION = 'query ($id: ID!) { notification(notification: { id: $id }) { id } }';
const RENEW = 'mutation ($id: ID!) { renewDeviceSubscription(input: { deviceSubscriptionId: $id }) { id } }';
const DELETE_DEVICE =
  'mutation ($id: ID!) { deleteDeviceSubscription(input: { deviceSubscriptionId: $id }) { deviceSubscriptionId } }';
const DEVICES = '{ deviceSubscriptions { edges { node { id } } } }';
const FEED_OF_DEVICE =
  'query ($deviceSubscriptionId: ID) { notifications(deviceSubscriptionId: $deviceSubscriptionId) { edges { node { id } } } }';

// Another user's or app's object is NOT_FOUND, exactly like an id that does not exist, and nothing changes.
describe('isolation between users and between apps', () => {
  let t: TestGateway;
  let appX: TestApp;
  let appY: TestApp;
  let tokens: { alice: string; bob: string; aliceInY: string; appX: string; appY: string };
  let aliceDevice: string;
  let aliceDeviceInY: string;
  let aliceNotification: string;

  beforeAll(async () => {
    t = await startGateway();
    appX = await t.registerApp('x.example.com');
    appY = await t.registerApp('y.example.com');
    tokens = {
      alice: await t.userToken('alice', appX.app),
      bob: await t.userToken('bob', appX.app),
      aliceInY: await t.userToken('alice', appY.app),
      appX: await appX.token(),
      appY: await appY.token(),
    };
    aliceDevice = await createDevice(t.url, tokens.alice, 'WEB');
    aliceDeviceInY = await createDevice(t.url, tokens.aliceInY, 'WEB');
    await createDevice(t.url, tokens.bob, 'WEB');
    const posted = await postNotification(
      t.url,
      tokens.appX,
      notificationInput(aliceDevice, 'x.example.com'),
    );
    aliceNotification = dataOf(posted).createNotification.notification.id;
  });

  /** Alice's state, read straight from the store, to show that a refused call changed nothing. */
  async function aliceState() {
    const store = t.gateway.services.store;
    const device = await store.findDeviceSubscription(aliceDevice);
    const feedId = device?.feedId as string;
    return {
      device,
      head: await store.feedHead(feedId),
      notifications: await store.listNotifications(feedId, {
        first: 100,
        beforePosition: null,
        readState: null,
        groupName: null,
      }),
    };
  }

  it("app X cannot post to app Y's UNSID, and cannot tell it from an unknown one", async () => {
    const before = await aliceState();
    const foreign = await postNotification(
      t.url,
      tokens.appX,
      notificationInput(aliceDeviceInY, 'x.example.com'),
    );
    const unknown = await postNotification(
      t.url,
      tokens.appX,
      notificationInput('no-such-unsid', 'x.example.com'),
    );
    expect(errorCodes(foreign)).toEqual(['NOT_FOUND']);
    expect(foreign.errors?.[0]?.message).toBe(unknown.errors?.[0]?.message);
    expect(errorCodes(unknown)).toEqual(['NOT_FOUND']);
    expect(await aliceState()).toEqual(before);
    const yFeedId = (await t.gateway.services.store.findDeviceSubscription(aliceDeviceInY))?.feedId as string;
    expect(await t.gateway.services.store.feedHead(yFeedId)).toMatchObject({ offset: 0 });
  });

  it("app Y's user token does not show app X's notifications of the same user", async () => {
    const feed = dataOf(
      await graphql<{ notifications: { edges: unknown[] } }>(t.url, FEED, {}, tokens.aliceInY),
    );
    expect(feed.notifications.edges).toEqual([]);
    expect(
      errorCodes(await graphql(t.url, NOTIFICATION, { id: aliceNotification }, tokens.aliceInY)),
    ).toEqual(['NOT_FOUND']);
  });

  it("user B cannot read user A's feed or notification", async () => {
    const feed = dataOf(await graphql<{ notifications: { edges: unknown[] } }>(t.url, FEED, {}, tokens.bob));
    expect(feed.notifications.edges).toEqual([]);
    const foreign = await graphql(t.url, NOTIFICATION, { id: aliceNotification }, tokens.bob);
    const unknown = await graphql(t.url, NOTIFICATION, { id: 'no-such-id' }, tokens.bob);
    expect(errorCodes(foreign)).toEqual(['NOT_FOUND']);
    expect(foreign.errors?.[0]?.message).toBe(unknown.errors?.[0]?.message);
    expect(
      dataOf(
        await graphql<{ notification: { id: string } }>(
          t.url,
          NOTIFICATION,
          { id: aliceNotification },
          tokens.alice,
        ),
      ).notification.id,
    ).toBe(aliceNotification);
  });

  it("user B cannot renew, delete, list or subscribe to user A's UNSID", async () => {
    const before = await aliceState();
    expect(errorCodes(await graphql(t.url, RENEW, { id: aliceDevice }, tokens.bob))).toEqual(['NOT_FOUND']);
    expect(errorCodes(await graphql(t.url, DELETE_DEVICE, { id: aliceDevice }, tokens.bob))).toEqual([
      'NOT_FOUND',
    ]);
    expect(errorCodes(await graphql(t.url, RENEW, { id: aliceDevice }, tokens.aliceInY))).toEqual([
      'NOT_FOUND',
    ]);
    const bobsDevices = dataOf(
      await graphql<{ deviceSubscriptions: { edges: Array<{ node: { id: string } }> } }>(
        t.url,
        DEVICES,
        {},
        tokens.bob,
      ),
    );
    expect(bobsDevices.deviceSubscriptions.edges.map((edge) => edge.node.id)).not.toContain(aliceDevice);
    const feed = openFeed(t.wsUrl, tokens.bob, { deviceSubscriptionId: aliceDevice });
    const errors = await feed.failed;
    expect(errors.map((e) => e.extensions?.code)).toEqual(['NOT_FOUND']);
    expect(await aliceState()).toEqual(before);
  });

  it("app X reads only its own notifications of a user, and nothing through app Y's UNSID", async () => {
    const own = dataOf(
      await graphql<{ notifications: { edges: Array<{ node: { id: string } }> } }>(
        t.url,
        FEED_OF_DEVICE,
        { deviceSubscriptionId: aliceDevice },
        tokens.appX,
      ),
    );
    expect(own.notifications.edges.map((edge) => edge.node.id)).toEqual([aliceNotification]);
    const foreign = await graphql(
      t.url,
      FEED_OF_DEVICE,
      { deviceSubscriptionId: aliceDeviceInY },
      tokens.appX,
    );
    expect(errorCodes(foreign)).toEqual(['NOT_FOUND']);
    expect(errorCodes(await graphql(t.url, NOTIFICATION, { id: aliceNotification }, tokens.appY))).toEqual([
      'NOT_FOUND',
    ]);
    expect(errorCodes(await graphql(t.url, FEED, {}, tokens.appX))).toEqual(['BAD_USER_INPUT']);
  });

  it('notification takes a NotificationRef: an app names its own by UNSID + key, a user by id only', async () => {
    const BY_REF = 'query ($ref: NotificationRef!) { notification(notification: $ref) { id } }';
    const posted = await postNotification(
      t.url,
      tokens.appX,
      notificationInput(aliceDevice, 'x.example.com', { appNotificationId: 'by-key' }),
    );
    const id = dataOf(posted).createNotification.notification.id;
    const byKey = { deviceSubscriptionId: aliceDevice, appNotificationId: 'by-key' };
    const found = await graphql<{ notification: { id: string } }>(t.url, BY_REF, { ref: byKey }, tokens.appX);
    expect(dataOf(found).notification.id).toBe(id);
    expect(errorCodes(await graphql(t.url, BY_REF, { ref: byKey }, tokens.alice))).toEqual([
      'BAD_USER_INPUT',
    ]);
    expect(errorCodes(await graphql(t.url, BY_REF, { ref: { id, ...byKey } }, tokens.appX))).toEqual([
      'BAD_USER_INPUT',
    ]);
    expect(
      errorCodes(
        await graphql(
          t.url,
          BY_REF,
          { ref: { ...byKey, deviceSubscriptionId: aliceDeviceInY } },
          tokens.appX,
        ),
      ),
    ).toEqual(['NOT_FOUND']);
  });

  it('app tokens cannot use user operations, and user tokens cannot post', async () => {
    expect(errorCodes(await graphql(t.url, DEVICES, {}, tokens.appX))).toEqual(['FORBIDDEN']);
    const posted = await postNotification(
      t.url,
      tokens.alice,
      notificationInput(aliceDevice, 'x.example.com'),
    );
    expect(errorCodes(posted)).toEqual(['FORBIDDEN']);
  });
});
