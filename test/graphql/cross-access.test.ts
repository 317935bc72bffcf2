import { randomBytes, randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { openFeed } from '../support/feed-client.js';
import { startGateway, type TestGateway } from '../support/gateway.js';
import { dataOf, errorCodes, graphql } from '../support/graphql-http.js';
import {
  CREATE_NOTIFICATION,
  createDevice,
  feedCursor,
  notificationInput,
  postNotification,
} from '../support/operations.js';
import {
  ACKNOWLEDGE,
  craftCursor,
  cursorPosition,
  DELETE_GROUP,
  DELETE_NOTIFICATION,
  LISTED_IDS,
  MARK_ALL_READ,
  NOTIFICATION,
  NOTIFICATION_DELIVERY,
  UPDATE_NOTIFICATION,
  UPDATE_STATE,
  updateState,
} from '../support/state-operations.js';
import { storeSql } from '../support/store-sql.js';

// Every public operation, tried by every caller that must not reach alice's objects: bob (another user
// of app X), alice signed in to app Y (same subject, other app), and the app services X and Y. Another
// user's or app's object is NOT_FOUND with exactly the answer an unknown id gets; the wrong kind of
// token is FORBIDDEN; and in every case alice's state, read straight from the store, is unchanged.

const X_HOST = 'x.example.com';
const Y_HOST = 'y.example.com';
/** The appNotificationId app X and app Y both use for alice: each app's key names only its own. */
const SHARED_KEY = 'shared-key';
/** A key and group that only alice's feed in app X has. */
const X_ONLY = 'x-only';

/** Ids shaped like real ones (a UNSID is 144 random bits; notification ids are UUIDs) that do not exist. */
const UNKNOWN_UNSID = randomBytes(18).toString('base64url');
const UNKNOWN_ID = randomUUID();

const RENEW =
  'mutation ($id: ID!) { renewDeviceSubscription(input: { deviceSubscriptionId: $id }) { id expirationDateTime } }';
const DELETE_DEVICE =
  'mutation ($id: ID!) { deleteDeviceSubscription(input: { deviceSubscriptionId: $id }) { deviceSubscriptionId } }';
const DEVICES = '{ deviceSubscriptions { edges { node { id } } } }';

type Actor = 'alice' | 'bob' | 'aliceInY' | 'appX' | 'appY';

interface Fixture {
  readonly tokens: Record<Actor, string>;
  readonly alice: {
    /** Alice's devices in app X (the web one acknowledged part of the feed) and in app Y. */
    readonly web: string;
    readonly phone: string;
    readonly webInY: string;
    /**
     * App X's notifications to alice: SHARED_KEY (group news, unread); X_ONLY (group X_ONLY, read and
     * activated); digest (group digest, unread, posted after her web device's acknowledgement).
     */
    readonly shared: string;
    readonly read: string;
    readonly digest: string;
    /** App Y's notifications to alice: SHARED_KEY (group news), digest (group digest). */
    readonly sharedInY: string;
    readonly digestInY: string;
    /** The heads of her feeds in X and Y. */
    readonly cursor: string;
    readonly cursorInY: string;
  };
  readonly bob: {
    readonly web: string;
    readonly news: string;
    readonly plain: string;
    readonly cursor: string;
  };
}

type Variables = (f: Fixture) => Record<string, unknown>;

interface Attempt {
  readonly name: string;
  readonly token: Actor;
  readonly query: string;
  readonly variables: Variables;
  readonly code: 'NOT_FOUND' | 'FORBIDDEN' | 'BAD_USER_INPUT';
  /** The same call by the same caller naming what does not exist: it must get the very same answer. */
  readonly unknown?: Variables;
}

const update = (notification: Record<string, unknown>) => ({
  input: { notification, payload: { visualContent: { title: 'Hijacked' } }, priority: 'HIGH' },
});
const readAndDismiss = (id: string) => ({
  input: { notification: { id }, readState: 'READ', userActionState: 'DISMISSED' },
});
const post = (unsid: string, host: string) => ({
  input: notificationInput(unsid, host, { appNotificationId: SHARED_KEY, groupName: 'news' }),
});

const attempts: Attempt[] = [
  // renewDeviceSubscription
  {
    name: "renewDeviceSubscription: bob renews alice's UNSID",
    token: 'bob',
    query: RENEW,
    variables: (f) => ({ id: f.alice.web }),
    code: 'NOT_FOUND',
    unknown: () => ({ id: UNKNOWN_UNSID }),
  },
  {
    name: 'renewDeviceSubscription: alice in app Y renews her app X UNSID',
    token: 'aliceInY',
    query: RENEW,
    variables: (f) => ({ id: f.alice.web }),
    code: 'NOT_FOUND',
    unknown: () => ({ id: UNKNOWN_UNSID }),
  },
  {
    name: 'renewDeviceSubscription: alice in app X renews her app Y UNSID',
    token: 'alice',
    query: RENEW,
    variables: (f) => ({ id: f.alice.webInY }),
    code: 'NOT_FOUND',
    unknown: () => ({ id: UNKNOWN_UNSID }),
  },
  {
    name: "renewDeviceSubscription: app X renews alice's UNSID",
    token: 'appX',
    query: RENEW,
    variables: (f) => ({ id: f.alice.web }),
    code: 'FORBIDDEN',
  },
  // deleteDeviceSubscription
  {
    name: "deleteDeviceSubscription: bob deletes alice's UNSID",
    token: 'bob',
    query: DELETE_DEVICE,
    variables: (f) => ({ id: f.alice.phone }),
    code: 'NOT_FOUND',
    unknown: () => ({ id: UNKNOWN_UNSID }),
  },
  {
    name: 'deleteDeviceSubscription: alice in app Y deletes her app X UNSID',
    token: 'aliceInY',
    query: DELETE_DEVICE,
    variables: (f) => ({ id: f.alice.phone }),
    code: 'NOT_FOUND',
    unknown: () => ({ id: UNKNOWN_UNSID }),
  },
  {
    name: 'deleteDeviceSubscription: alice in app X deletes her app Y UNSID',
    token: 'alice',
    query: DELETE_DEVICE,
    variables: (f) => ({ id: f.alice.webInY }),
    code: 'NOT_FOUND',
    unknown: () => ({ id: UNKNOWN_UNSID }),
  },
  {
    name: "deleteDeviceSubscription: app X deletes alice's UNSID",
    token: 'appX',
    query: DELETE_DEVICE,
    variables: (f) => ({ id: f.alice.phone }),
    code: 'FORBIDDEN',
  },
  {
    name: "deleteDeviceSubscription: app Y deletes alice's app Y UNSID",
    token: 'appY',
    query: DELETE_DEVICE,
    variables: (f) => ({ id: f.alice.webInY }),
    code: 'FORBIDDEN',
  },
  // deviceSubscriptions
  {
    name: 'deviceSubscriptions: app X lists devices',
    token: 'appX',
    query: DEVICES,
    variables: () => ({}),
    code: 'FORBIDDEN',
  },
  {
    name: 'deviceSubscriptions: app Y lists devices',
    token: 'appY',
    query: DEVICES,
    variables: () => ({}),
    code: 'FORBIDDEN',
  },
  // createNotification
  {
    name: "createNotification: app Y posts (alice's X key) to alice's app X UNSID",
    token: 'appY',
    query: CREATE_NOTIFICATION,
    variables: (f) => post(f.alice.web, Y_HOST),
    code: 'NOT_FOUND',
    unknown: () => post(UNKNOWN_UNSID, Y_HOST),
  },
  {
    name: "createNotification: app X posts (alice's Y key) to alice's app Y UNSID",
    token: 'appX',
    query: CREATE_NOTIFICATION,
    variables: (f) => post(f.alice.webInY, X_HOST),
    code: 'NOT_FOUND',
    unknown: () => post(UNKNOWN_UNSID, X_HOST),
  },
  {
    name: "createNotification: app X posts to alice's UNSID as app Y's host name",
    token: 'appX',
    query: CREATE_NOTIFICATION,
    variables: (f) => post(f.alice.web, Y_HOST),
    code: 'BAD_USER_INPUT',
  },
  {
    name: 'createNotification: alice posts to her own UNSID',
    token: 'alice',
    query: CREATE_NOTIFICATION,
    variables: (f) => post(f.alice.web, X_HOST),
    code: 'FORBIDDEN',
  },
  {
    name: "createNotification: bob posts to alice's UNSID",
    token: 'bob',
    query: CREATE_NOTIFICATION,
    variables: (f) => post(f.alice.web, X_HOST),
    code: 'FORBIDDEN',
  },
  // updateNotification
  {
    name: "updateNotification: app Y updates app X's notification by id",
    token: 'appY',
    query: UPDATE_NOTIFICATION,
    variables: (f) => update({ id: f.alice.shared }),
    code: 'NOT_FOUND',
    unknown: () => update({ id: UNKNOWN_ID }),
  },
  {
    name: "updateNotification: app Y updates by alice's app X UNSID + key",
    token: 'appY',
    query: UPDATE_NOTIFICATION,
    variables: (f) => update({ deviceSubscriptionId: f.alice.web, appNotificationId: SHARED_KEY }),
    code: 'NOT_FOUND',
    unknown: () => update({ deviceSubscriptionId: UNKNOWN_UNSID, appNotificationId: SHARED_KEY }),
  },
  {
    name: "updateNotification: app X updates app Y's notification by id",
    token: 'appX',
    query: UPDATE_NOTIFICATION,
    variables: (f) => update({ id: f.alice.sharedInY }),
    code: 'NOT_FOUND',
    unknown: () => update({ id: UNKNOWN_ID }),
  },
  {
    name: "updateNotification: app X updates by alice's app Y UNSID + key",
    token: 'appX',
    query: UPDATE_NOTIFICATION,
    variables: (f) => update({ deviceSubscriptionId: f.alice.webInY, appNotificationId: SHARED_KEY }),
    code: 'NOT_FOUND',
    unknown: () => update({ deviceSubscriptionId: UNKNOWN_UNSID, appNotificationId: SHARED_KEY }),
  },
  {
    name: "updateNotification: app X updates alice's key through bob's UNSID",
    token: 'appX',
    query: UPDATE_NOTIFICATION,
    variables: (f) => update({ deviceSubscriptionId: f.bob.web, appNotificationId: SHARED_KEY }),
    code: 'NOT_FOUND',
    unknown: (f) => update({ deviceSubscriptionId: f.bob.web, appNotificationId: 'no-such-key' }),
  },
  {
    name: 'updateNotification: alice updates her own notification',
    token: 'alice',
    query: UPDATE_NOTIFICATION,
    variables: (f) => update({ id: f.alice.shared }),
    code: 'FORBIDDEN',
  },
  {
    name: "updateNotification: bob updates alice's notification",
    token: 'bob',
    query: UPDATE_NOTIFICATION,
    variables: (f) => update({ id: f.alice.shared }),
    code: 'FORBIDDEN',
  },
  // deleteNotification
  {
    name: "deleteNotification: bob deletes alice's notification by id",
    token: 'bob',
    query: DELETE_NOTIFICATION,
    variables: (f) => ({ notification: { id: f.alice.shared } }),
    code: 'NOT_FOUND',
    unknown: () => ({ notification: { id: UNKNOWN_ID } }),
  },
  {
    name: "deleteNotification: alice in app Y deletes app X's notification by id",
    token: 'aliceInY',
    query: DELETE_NOTIFICATION,
    variables: (f) => ({ notification: { id: f.alice.shared } }),
    code: 'NOT_FOUND',
    unknown: () => ({ notification: { id: UNKNOWN_ID } }),
  },
  {
    name: "deleteNotification: alice in app X deletes app Y's notification by id",
    token: 'alice',
    query: DELETE_NOTIFICATION,
    variables: (f) => ({ notification: { id: f.alice.sharedInY } }),
    code: 'NOT_FOUND',
    unknown: () => ({ notification: { id: UNKNOWN_ID } }),
  },
  {
    name: "deleteNotification: bob deletes by alice's UNSID + key (users name by id)",
    token: 'bob',
    query: DELETE_NOTIFICATION,
    variables: (f) => ({
      notification: { deviceSubscriptionId: f.alice.web, appNotificationId: SHARED_KEY },
    }),
    code: 'BAD_USER_INPUT',
    unknown: () => ({ notification: { deviceSubscriptionId: UNKNOWN_UNSID, appNotificationId: SHARED_KEY } }),
  },
  {
    name: "deleteNotification: app Y deletes app X's notification by id",
    token: 'appY',
    query: DELETE_NOTIFICATION,
    variables: (f) => ({ notification: { id: f.alice.shared } }),
    code: 'NOT_FOUND',
    unknown: () => ({ notification: { id: UNKNOWN_ID } }),
  },
  {
    name: "deleteNotification: app Y deletes by alice's app X UNSID + key",
    token: 'appY',
    query: DELETE_NOTIFICATION,
    variables: (f) => ({
      notification: { deviceSubscriptionId: f.alice.web, appNotificationId: SHARED_KEY },
    }),
    code: 'NOT_FOUND',
    unknown: () => ({ notification: { deviceSubscriptionId: UNKNOWN_UNSID, appNotificationId: SHARED_KEY } }),
  },
  {
    name: "deleteNotification: app X deletes app Y's notification by id",
    token: 'appX',
    query: DELETE_NOTIFICATION,
    variables: (f) => ({ notification: { id: f.alice.sharedInY } }),
    code: 'NOT_FOUND',
    unknown: () => ({ notification: { id: UNKNOWN_ID } }),
  },
  {
    name: "deleteNotification: app X deletes by alice's app Y UNSID + key",
    token: 'appX',
    query: DELETE_NOTIFICATION,
    variables: (f) => ({
      notification: { deviceSubscriptionId: f.alice.webInY, appNotificationId: SHARED_KEY },
    }),
    code: 'NOT_FOUND',
    unknown: () => ({ notification: { deviceSubscriptionId: UNKNOWN_UNSID, appNotificationId: SHARED_KEY } }),
  },
  {
    name: "deleteNotification: app X deletes alice's key through bob's UNSID",
    token: 'appX',
    query: DELETE_NOTIFICATION,
    variables: (f) => ({ notification: { deviceSubscriptionId: f.bob.web, appNotificationId: SHARED_KEY } }),
    code: 'NOT_FOUND',
    unknown: (f) => ({ notification: { deviceSubscriptionId: f.bob.web, appNotificationId: 'no-such-key' } }),
  },
  // deleteNotificationGroup, app form (the user form is below: it acts on the caller's own feed)
  {
    name: "deleteNotificationGroup: app Y deletes a group through alice's app X UNSID",
    token: 'appY',
    query: DELETE_GROUP,
    variables: (f) => ({ groupName: 'news', deviceSubscriptionId: f.alice.web }),
    code: 'NOT_FOUND',
    unknown: () => ({ groupName: 'news', deviceSubscriptionId: UNKNOWN_UNSID }),
  },
  {
    name: "deleteNotificationGroup: app X deletes a group through alice's app Y UNSID",
    token: 'appX',
    query: DELETE_GROUP,
    variables: (f) => ({ groupName: 'news', deviceSubscriptionId: f.alice.webInY }),
    code: 'NOT_FOUND',
    unknown: () => ({ groupName: 'news', deviceSubscriptionId: UNKNOWN_UNSID }),
  },
  // updateNotificationState
  {
    name: "updateNotificationState: bob changes alice's notification",
    token: 'bob',
    query: UPDATE_STATE,
    variables: (f) => readAndDismiss(f.alice.shared),
    code: 'NOT_FOUND',
    unknown: () => readAndDismiss(UNKNOWN_ID),
  },
  {
    name: "updateNotificationState: alice in app Y changes app X's notification",
    token: 'aliceInY',
    query: UPDATE_STATE,
    variables: (f) => readAndDismiss(f.alice.shared),
    code: 'NOT_FOUND',
    unknown: () => readAndDismiss(UNKNOWN_ID),
  },
  {
    name: "updateNotificationState: alice in app X changes app Y's notification",
    token: 'alice',
    query: UPDATE_STATE,
    variables: (f) => readAndDismiss(f.alice.sharedInY),
    code: 'NOT_FOUND',
    unknown: () => readAndDismiss(UNKNOWN_ID),
  },
  {
    name: "updateNotificationState: app X changes alice's notification",
    token: 'appX',
    query: UPDATE_STATE,
    variables: (f) => readAndDismiss(f.alice.shared),
    code: 'FORBIDDEN',
  },
  // markAllRead (a user's own markAllRead is below)
  {
    name: 'markAllRead: app X marks all read',
    token: 'appX',
    query: MARK_ALL_READ,
    variables: () => ({}),
    code: 'FORBIDDEN',
  },
  // notifications
  {
    name: "notifications: app Y lists alice's feed through her app X UNSID",
    token: 'appY',
    query: LISTED_IDS,
    variables: (f) => ({ deviceSubscriptionId: f.alice.web }),
    code: 'NOT_FOUND',
    unknown: () => ({ deviceSubscriptionId: UNKNOWN_UNSID }),
  },
  {
    name: "notifications: app X lists alice's feed through her app Y UNSID",
    token: 'appX',
    query: LISTED_IDS,
    variables: (f) => ({ deviceSubscriptionId: f.alice.webInY }),
    code: 'NOT_FOUND',
    unknown: () => ({ deviceSubscriptionId: UNKNOWN_UNSID }),
  },
  // notification
  {
    name: "notification: bob reads alice's notification",
    token: 'bob',
    query: NOTIFICATION,
    variables: (f) => ({ notification: { id: f.alice.shared } }),
    code: 'NOT_FOUND',
    unknown: () => ({ notification: { id: UNKNOWN_ID } }),
  },
  {
    name: "notification: alice in app Y reads app X's notification",
    token: 'aliceInY',
    query: NOTIFICATION,
    variables: (f) => ({ notification: { id: f.alice.shared } }),
    code: 'NOT_FOUND',
    unknown: () => ({ notification: { id: UNKNOWN_ID } }),
  },
  {
    name: "notification: alice in app X reads app Y's notification",
    token: 'alice',
    query: NOTIFICATION,
    variables: (f) => ({ notification: { id: f.alice.sharedInY } }),
    code: 'NOT_FOUND',
    unknown: () => ({ notification: { id: UNKNOWN_ID } }),
  },
  {
    name: "notification: app Y reads app X's notification",
    token: 'appY',
    query: NOTIFICATION,
    variables: (f) => ({ notification: { id: f.alice.shared } }),
    code: 'NOT_FOUND',
    unknown: () => ({ notification: { id: UNKNOWN_ID } }),
  },
  {
    name: "notification: app X reads app Y's notification",
    token: 'appX',
    query: NOTIFICATION,
    variables: (f) => ({ notification: { id: f.alice.sharedInY } }),
    code: 'NOT_FOUND',
    unknown: () => ({ notification: { id: UNKNOWN_ID } }),
  },
  // notificationDelivery: by id; by a foreign UNSID + key; by the caller's own UNSID + a key of another feed
  {
    name: "notificationDelivery: app Y asks by app X's notification id",
    token: 'appY',
    query: NOTIFICATION_DELIVERY,
    variables: (f) => ({ notification: { id: f.alice.shared } }),
    code: 'NOT_FOUND',
    unknown: () => ({ notification: { id: UNKNOWN_ID } }),
  },
  {
    name: "notificationDelivery: app Y asks by alice's app X UNSID + key",
    token: 'appY',
    query: NOTIFICATION_DELIVERY,
    variables: (f) => ({
      notification: { deviceSubscriptionId: f.alice.web, appNotificationId: SHARED_KEY },
    }),
    code: 'NOT_FOUND',
    unknown: () => ({ notification: { deviceSubscriptionId: UNKNOWN_UNSID, appNotificationId: SHARED_KEY } }),
  },
  {
    name: "notificationDelivery: app Y asks by its own UNSID of alice + app X's key",
    token: 'appY',
    query: NOTIFICATION_DELIVERY,
    variables: (f) => ({ notification: { deviceSubscriptionId: f.alice.webInY, appNotificationId: X_ONLY } }),
    code: 'NOT_FOUND',
    unknown: (f) => ({
      notification: { deviceSubscriptionId: f.alice.webInY, appNotificationId: 'no-such-key' },
    }),
  },
  {
    name: "notificationDelivery: app X asks by app Y's notification id",
    token: 'appX',
    query: NOTIFICATION_DELIVERY,
    variables: (f) => ({ notification: { id: f.alice.sharedInY } }),
    code: 'NOT_FOUND',
    unknown: () => ({ notification: { id: UNKNOWN_ID } }),
  },
  {
    name: "notificationDelivery: app X asks by alice's app Y UNSID + key",
    token: 'appX',
    query: NOTIFICATION_DELIVERY,
    variables: (f) => ({
      notification: { deviceSubscriptionId: f.alice.webInY, appNotificationId: SHARED_KEY },
    }),
    code: 'NOT_FOUND',
    unknown: () => ({ notification: { deviceSubscriptionId: UNKNOWN_UNSID, appNotificationId: SHARED_KEY } }),
  },
  {
    name: "notificationDelivery: app X asks by bob's UNSID + alice's key",
    token: 'appX',
    query: NOTIFICATION_DELIVERY,
    variables: (f) => ({ notification: { deviceSubscriptionId: f.bob.web, appNotificationId: X_ONLY } }),
    code: 'NOT_FOUND',
    unknown: (f) => ({ notification: { deviceSubscriptionId: f.bob.web, appNotificationId: 'no-such-key' } }),
  },
  {
    name: 'notificationDelivery: alice asks by her notification id',
    token: 'alice',
    query: NOTIFICATION_DELIVERY,
    variables: (f) => ({ notification: { id: f.alice.shared } }),
    code: 'FORBIDDEN',
  },
  {
    name: "notificationDelivery: bob asks by alice's UNSID + key",
    token: 'bob',
    query: NOTIFICATION_DELIVERY,
    variables: (f) => ({
      notification: { deviceSubscriptionId: f.alice.web, appNotificationId: SHARED_KEY },
    }),
    code: 'FORBIDDEN',
  },
  {
    name: "notificationDelivery: alice in app Y asks by app X's notification id",
    token: 'aliceInY',
    query: NOTIFICATION_DELIVERY,
    variables: (f) => ({ notification: { id: f.alice.shared } }),
    code: 'FORBIDDEN',
  },
  // acknowledgeNotifications
  {
    name: "acknowledgeNotifications: bob acknowledges alice's UNSID with his own cursor",
    token: 'bob',
    query: ACKNOWLEDGE,
    variables: (f) => ({ deviceSubscriptionId: f.alice.web, upTo: f.bob.cursor }),
    code: 'NOT_FOUND',
    unknown: (f) => ({ deviceSubscriptionId: UNKNOWN_UNSID, upTo: f.bob.cursor }),
  },
  {
    name: "acknowledgeNotifications: bob acknowledges alice's UNSID with alice's cursor",
    token: 'bob',
    query: ACKNOWLEDGE,
    variables: (f) => ({ deviceSubscriptionId: f.alice.web, upTo: f.alice.cursor }),
    code: 'NOT_FOUND',
    unknown: (f) => ({ deviceSubscriptionId: UNKNOWN_UNSID, upTo: f.alice.cursor }),
  },
  {
    name: 'acknowledgeNotifications: alice in app Y acknowledges her app X UNSID',
    token: 'aliceInY',
    query: ACKNOWLEDGE,
    variables: (f) => ({ deviceSubscriptionId: f.alice.web, upTo: f.alice.cursor }),
    code: 'NOT_FOUND',
    unknown: (f) => ({ deviceSubscriptionId: UNKNOWN_UNSID, upTo: f.alice.cursor }),
  },
  {
    name: 'acknowledgeNotifications: alice in app X acknowledges her app Y UNSID',
    token: 'alice',
    query: ACKNOWLEDGE,
    variables: (f) => ({ deviceSubscriptionId: f.alice.webInY, upTo: f.alice.cursorInY }),
    code: 'NOT_FOUND',
    unknown: (f) => ({ deviceSubscriptionId: UNKNOWN_UNSID, upTo: f.alice.cursorInY }),
  },
  {
    name: "acknowledgeNotifications: bob acknowledges his own UNSID with alice's cursor",
    token: 'bob',
    query: ACKNOWLEDGE,
    variables: (f) => ({ deviceSubscriptionId: f.bob.web, upTo: f.alice.cursor }),
    code: 'BAD_USER_INPUT',
    // The same offset under an epoch no feed has.
    unknown: (f) => ({
      deviceSubscriptionId: f.bob.web,
      upTo: craftCursor(randomUUID(), cursorPosition(f.alice.cursor).offset),
    }),
  },
  {
    name: "acknowledgeNotifications: app X acknowledges alice's UNSID",
    token: 'appX',
    query: ACKNOWLEDGE,
    variables: (f) => ({ deviceSubscriptionId: f.alice.web, upTo: f.alice.cursor }),
    code: 'FORBIDDEN',
  },
];

// A user token acts on the caller's own feed, whatever deviceSubscriptionId it names: naming alice's
// UNSID must answer exactly as naming an unknown one, and touch nothing of hers (the group X_ONLY is only
// in alice's feed in app X, so honouring her UNSID would delete it).
const ignoredArguments: Array<{ name: string; token: Actor; query: string; variables: Variables }> = [
  {
    name: "notifications: bob names alice's UNSID",
    token: 'bob',
    query: LISTED_IDS,
    variables: (f) => ({ deviceSubscriptionId: f.alice.web }),
  },
  {
    name: 'notifications: alice in app Y names her app X UNSID',
    token: 'aliceInY',
    query: LISTED_IDS,
    variables: (f) => ({ deviceSubscriptionId: f.alice.web }),
  },
  {
    name: "deleteNotificationGroup: bob deletes alice's group through her UNSID",
    token: 'bob',
    query: DELETE_GROUP,
    variables: (f) => ({ groupName: X_ONLY, deviceSubscriptionId: f.alice.web }),
  },
  {
    name: 'deleteNotificationGroup: alice in app Y deletes her app X group through her app X UNSID',
    token: 'aliceInY',
    query: DELETE_GROUP,
    variables: (f) => ({ groupName: X_ONLY, deviceSubscriptionId: f.alice.web }),
  },
];

interface FeedAttempt {
  readonly name: string;
  readonly token: Actor;
  readonly deviceSubscriptionId: (f: Fixture) => string;
  readonly from?: (f: Fixture) => string;
  readonly code: 'NOT_FOUND' | 'FORBIDDEN';
}

const feedAttempts: FeedAttempt[] = [
  {
    name: "bob subscribes to alice's UNSID",
    token: 'bob',
    deviceSubscriptionId: (f) => f.alice.web,
    code: 'NOT_FOUND',
  },
  {
    name: "bob subscribes to alice's UNSID from alice's cursor",
    token: 'bob',
    deviceSubscriptionId: (f) => f.alice.web,
    from: (f) => f.alice.cursor,
    code: 'NOT_FOUND',
  },
  {
    name: 'alice in app Y subscribes to her app X UNSID from its cursor',
    token: 'aliceInY',
    deviceSubscriptionId: (f) => f.alice.web,
    from: (f) => f.alice.cursor,
    code: 'NOT_FOUND',
  },
  {
    name: 'alice in app X subscribes to her app Y UNSID',
    token: 'alice',
    deviceSubscriptionId: (f) => f.alice.webInY,
    code: 'NOT_FOUND',
  },
  {
    name: "app X subscribes to alice's UNSID",
    token: 'appX',
    deviceSubscriptionId: (f) => f.alice.web,
    code: 'FORBIDDEN',
  },
  {
    name: "app Y subscribes to alice's app Y UNSID",
    token: 'appY',
    deviceSubscriptionId: (f) => f.alice.webInY,
    from: (f) => f.alice.cursorInY,
    code: 'FORBIDDEN',
  },
];

/** Rows as [title, row], so test names show the whole attempt (`$name` would be cut at 40 characters). */
const titled = <T extends { name: string; code?: string }>(rows: readonly T[]): Array<[string, T]> =>
  rows.map((row) => [row.code ? `${row.name}: ${row.code}` : row.name, row]);

describe('cross-user and cross-app access to every operation', () => {
  let t: TestGateway;
  let f: Fixture;

  beforeAll(async () => {
    t = await startGateway({ env: { TIDINGS_SWEEP_INTERVAL_MS: '0' } });
    const appX = await t.registerApp(X_HOST);
    const appY = await t.registerApp(Y_HOST);
    const tokens: Record<Actor, string> = {
      alice: await t.userToken('alice', appX.app),
      bob: await t.userToken('bob', appX.app),
      aliceInY: await t.userToken('alice', appY.app),
      appX: await appX.token(),
      appY: await appY.token(),
    };
    const postTo = async (appToken: string, unsid: string, host: string, fields: Record<string, unknown>) =>
      dataOf(await postNotification(t.url, appToken, notificationInput(unsid, host, fields)))
        .createNotification.notification.id as string;

    const web = await createDevice(t.url, tokens.alice, 'WEB', 'alice web');
    const phone = await createDevice(t.url, tokens.alice, 'ANDROID', 'alice phone');
    const webInY = await createDevice(t.url, tokens.aliceInY, 'WEB', 'alice web in Y');
    const bobWeb = await createDevice(t.url, tokens.bob, 'WEB', 'bob web');

    const shared = await postTo(tokens.appX, web, X_HOST, {
      appNotificationId: SHARED_KEY,
      groupName: 'news',
    });
    const read = await postTo(tokens.appX, web, X_HOST, { appNotificationId: X_ONLY, groupName: X_ONLY });
    dataOf(
      await updateState(t.url, tokens.alice, {
        notification: { id: read },
        readState: 'READ',
        userActionState: 'ACTIVATED',
      }),
    );
    // Her web device acknowledged the feed so far; a refused acknowledgement must not move that.
    dataOf(
      await graphql(
        t.url,
        ACKNOWLEDGE,
        { deviceSubscriptionId: web, upTo: await feedCursor(t.url, tokens.alice) },
        tokens.alice,
      ),
    );
    const digest = await postTo(tokens.appX, web, X_HOST, {
      appNotificationId: 'digest',
      groupName: 'digest',
    });
    const sharedInY = await postTo(tokens.appY, webInY, Y_HOST, {
      appNotificationId: SHARED_KEY,
      groupName: 'news',
    });
    const digestInY = await postTo(tokens.appY, webInY, Y_HOST, {
      appNotificationId: 'digest',
      groupName: 'digest',
    });
    const news = await postTo(tokens.appX, bobWeb, X_HOST, {
      appNotificationId: 'bob-news',
      groupName: 'news',
    });
    const plain = await postTo(tokens.appX, bobWeb, X_HOST, { appNotificationId: 'bob-plain' });
    f = {
      tokens,
      alice: {
        web,
        phone,
        webInY,
        shared,
        read,
        digest,
        sharedInY,
        digestInY,
        cursor: await feedCursor(t.url, tokens.alice),
        cursorInY: await feedCursor(t.url, tokens.aliceInY),
      },
      bob: { web: bobWeb, news, plain, cursor: await feedCursor(t.url, tokens.bob) },
    };
  });

  /**
   * One feed of a user, read straight from the store: its devices (with their expiry, acknowledged
   * offset and delivery marks), its log head and every change in it, its notifications with their shared
   * state, and each one's per-device delivery.
   */
  async function feedState(unsid: string) {
    const store = t.gateway.services.store;
    const device = await store.findDeviceSubscription(unsid);
    if (!device) throw new Error(`No device subscription ${unsid}.`);
    const { feedId, owner } = device;
    const { notifications } = await store.listNotifications(feedId, {
      first: 100,
      beforePosition: null,
      readState: null,
      groupName: null,
    });
    const now = new Date();
    return {
      devices: (await store.listDeviceSubscriptions(owner, { first: 100, after: null, now })).devices,
      acknowledged: await storeSql(
        t,
        `SELECT "id", "ackedOffset" FROM "DeviceSubscription" WHERE "feedId" = '${feedId}' ORDER BY "id"`,
      ),
      marks: await storeSql(
        t,
        `SELECT m."deviceSubscriptionId", m."kind", m."fromOffset", m."offset" FROM "DeliveryMark" m
         JOIN "DeviceSubscription" d ON d."id" = m."deviceSubscriptionId"
         WHERE d."feedId" = '${feedId}' ORDER BY m."id"`,
      ),
      head: await store.feedHead(feedId),
      log: (await store.readChanges(feedId, 0, 1000)).map((change) => ({
        offset: change.offset,
        kind: change.kind,
        id: change.notification.id,
      })),
      notifications,
      deliveries: await Promise.all(notifications.map((n) => store.deliveryOf(n, now))),
    };
  }

  /** Alice's state in both apps. */
  async function aliceState() {
    return { x: await feedState(f.alice.web), y: await feedState(f.alice.webInY) };
  }

  it('the fixture holds what the attempts aim at', async () => {
    const state = await aliceState();
    expect(state.x.devices.map((d) => d.id).sort()).toEqual([f.alice.web, f.alice.phone].sort());
    expect(state.x.notifications.map((n) => [n.id, n.readState, n.userActionState])).toEqual([
      [f.alice.digest, 'UNREAD', 'NO_INTERACTION'],
      [f.alice.read, 'READ', 'ACTIVATED'],
      [f.alice.shared, 'UNREAD', 'NO_INTERACTION'],
    ]);
    expect(state.x.head.offset).toBe(4);
    expect(state.x.acknowledged).toContainEqual({ id: f.alice.web, ackedOffset: 3 });
    expect(state.y.notifications.map((n) => n.id)).toEqual([f.alice.digestInY, f.alice.sharedInY]);
  });

  describe('over HTTP', () => {
    it.each(titled(attempts))('%s', async (_, { token, query, variables, code, unknown }) => {
      const before = await aliceState();
      const response = await graphql(t.url, query, variables(f), f.tokens[token]);
      expect(errorCodes(response)).toEqual([code]);
      expect(response.status).toBe(200);
      // Nothing of alice's comes back: the field is null (or the whole data, for a non-null field).
      expect(Object.values(response.data ?? {}).every((value) => value === null)).toBe(true);
      if (unknown) {
        const control = await graphql(t.url, query, unknown(f), f.tokens[token]);
        expect(errorCodes(control)).toEqual([code]);
        expect(response.errors).toEqual(control.errors);
        expect(response.data).toEqual(control.data);
      }
      expect(await aliceState()).toEqual(before);
    });
  });

  describe('over WebSocket: notificationChanges', () => {
    it.each(titled(feedAttempts))('%s', async (_, { token, deviceSubscriptionId, from, code }) => {
      const before = await aliceState();
      const feed = openFeed(t.wsUrl, f.tokens[token], {
        deviceSubscriptionId: deviceSubscriptionId(f),
        after: from?.(f) ?? null,
      });
      const errors = await feed.failed;
      expect(errors.map((e) => e.extensions?.code)).toEqual([code]);
      expect(feed.received).toEqual([]);
      if (code === 'NOT_FOUND') {
        const control = openFeed(t.wsUrl, f.tokens[token], {
          deviceSubscriptionId: UNKNOWN_UNSID,
          after: from?.(f) ?? null,
        });
        expect(errors).toEqual(await control.failed);
        await control.close();
      }
      await feed.close();
      expect(await aliceState()).toEqual(before);
    });
  });

  describe("a user token's deviceSubscriptionId names nothing of another user or app", () => {
    it.each(titled(ignoredArguments))('%s', async (_, { token, query, variables }) => {
      const before = await aliceState();
      const vars = variables(f);
      const response = await graphql(t.url, query, vars, f.tokens[token]);
      const control = await graphql(
        t.url,
        query,
        { ...vars, deviceSubscriptionId: UNKNOWN_UNSID },
        f.tokens[token],
      );
      expect({ data: response.data, errors: response.errors }).toEqual({
        data: control.data,
        errors: control.errors,
      });
      const text = JSON.stringify(response);
      for (const id of [f.alice.shared, f.alice.read, f.alice.digest]) expect(text).not.toContain(id);
      expect(await aliceState()).toEqual(before);
    });
  });

  describe("a user's own bulk operations stay in their own feed", () => {
    // These change the caller's own feed, so they run after the refused attempts above.
    const unreadIn = async (unsid: string) =>
      (await feedState(unsid)).notifications.filter((n) => n.readState === 'UNREAD').map((n) => n.id);

    it("bob's deleteNotificationGroup deletes his group, not alice's of the same name", async () => {
      const before = await aliceState();
      const deleted = dataOf(
        await graphql<{ deleteNotificationGroup: { notificationIds: string[] } }>(
          t.url,
          DELETE_GROUP,
          { groupName: 'news' },
          f.tokens.bob,
        ),
      );
      expect(deleted.deleteNotificationGroup.notificationIds).toEqual([f.bob.news]);
      expect(await aliceState()).toEqual(before);
    });

    it("alice's deleteNotificationGroup in app Y deletes only app Y's group", async () => {
      const before = await aliceState();
      const deleted = dataOf(
        await graphql<{ deleteNotificationGroup: { notificationIds: string[] } }>(
          t.url,
          DELETE_GROUP,
          { groupName: 'digest' },
          f.tokens.aliceInY,
        ),
      );
      expect(deleted.deleteNotificationGroup.notificationIds).toEqual([f.alice.digestInY]);
      expect((await aliceState()).x).toEqual(before.x);
    });

    it("bob's markAllRead leaves alice's unread notifications unread", async () => {
      const before = await aliceState();
      expect(await unreadIn(f.alice.web)).toEqual([f.alice.digest, f.alice.shared]);
      const bobsUnread = await unreadIn(f.bob.web);
      expect(bobsUnread).toContain(f.bob.plain);
      const marked = dataOf(
        await graphql<{ markAllRead: { count: number } }>(t.url, MARK_ALL_READ, {}, f.tokens.bob),
      );
      expect(marked.markAllRead.count).toBe(bobsUnread.length);
      expect(await unreadIn(f.bob.web)).toEqual([]);
      expect(await aliceState()).toEqual(before);
    });

    it("alice's markAllRead in app Y leaves her app X notifications unread", async () => {
      const before = await aliceState();
      const unreadInY = await unreadIn(f.alice.webInY);
      expect(unreadInY).toContain(f.alice.sharedInY);
      const marked = dataOf(
        await graphql<{ markAllRead: { count: number } }>(t.url, MARK_ALL_READ, {}, f.tokens.aliceInY),
      );
      expect(marked.markAllRead.count).toBe(unreadInY.length);
      expect(await unreadIn(f.alice.webInY)).toEqual([]);
      expect((await aliceState()).x).toEqual(before.x);
      expect(await unreadIn(f.alice.web)).toEqual([f.alice.digest, f.alice.shared]);
    });
  });
});
