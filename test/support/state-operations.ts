import type { Store } from '../../src/store/types.js';
import { type FeedClient, openFeed, type ReceivedChange } from './feed-client.js';
import type { TestApp, TestGateway } from './gateway.js';
import { dataOf, type GraphQLResponse, graphql } from './graphql-http.js';
import { createDevice, feedCursor, notificationInput, postNotification } from './operations.js';

// Operations on shared state, deliveries and acknowledgements, written once for the delivery tests.

/** A change with every field the state, expiry and fallback tests look at. */
export const FULL_CHANGE_SELECTION = `kind cursor notification {
  id appNotificationId readState userActionState snoozedUntil status priority groupName expirationDateTime
  targetPolicy { platformTypes }
  payload { visualContent { title body } rawContent }
  fallbackPolicy { endpointFallback { platformTypes fallbackDelayInSeconds visualContent { title body } } }
}`;

const NOTIFICATION_FIELDS = `id appNotificationId readState userActionState snoozedUntil status priority groupName
  expirationDateTime payload { visualContent { title body } rawContent }`;

export const UPDATE_STATE = `mutation ($input: UpdateNotificationStateInput!) {
  updateNotificationState(input: $input) { notification { ${NOTIFICATION_FIELDS} } }
}`;

export const MARK_ALL_READ = 'mutation { markAllRead { count } }';

export const UPDATE_NOTIFICATION = `mutation ($input: UpdateNotificationInput!) {
  updateNotification(input: $input) { notification { ${NOTIFICATION_FIELDS} } }
}`;

export const DELETE_NOTIFICATION = `mutation ($notification: NotificationRef!) {
  deleteNotification(input: { notification: $notification }) { notificationId }
}`;

export const DELETE_GROUP = `mutation ($groupName: String!, $deviceSubscriptionId: ID) {
  deleteNotificationGroup(input: { groupName: $groupName, deviceSubscriptionId: $deviceSubscriptionId }) {
    notificationIds
  }
}`;

export const NOTIFICATION = `query ($notification: NotificationRef!) {
  notification(notification: $notification) { ${NOTIFICATION_FIELDS} }
}`;

/** The ids a feed lists: the user's own (user token), or the user's behind a UNSID (app token). */
export const LISTED_IDS = `query ($deviceSubscriptionId: ID) {
  notifications(first: 100, deviceSubscriptionId: $deviceSubscriptionId) { edges { node { id } } }
}`;

export const ACKNOWLEDGE = `mutation ($deviceSubscriptionId: ID!, $upTo: String!) {
  acknowledgeNotifications(input: { deviceSubscriptionId: $deviceSubscriptionId, upTo: $upTo }) {
    deviceSubscriptionId cursor
  }
}`;

export const NOTIFICATION_DELIVERY = `query ($notification: NotificationRef!) {
  notificationDelivery(notification: $notification) {
    notification { id appNotificationId }
    devices { deviceSubscriptionId platform deviceLabel targeted deliveredDateTime acknowledgedDateTime }
  }
}`;

export interface DeviceDeliveryView {
  deviceSubscriptionId: string;
  platform: string;
  deviceLabel: string;
  targeted: boolean;
  deliveredDateTime: string | null;
  acknowledgedDateTime: string | null;
}

/**
 * A cursor as the gateway makes them (base64url of "<epoch>:<offset>"). Tests need this to craft a
 * cursor of another epoch or beyond the head; clients treat cursors as opaque.
 */
export const craftCursor = (epoch: string, offset: number): string =>
  Buffer.from(`${epoch}:${offset}`).toString('base64url');

/** The epoch and offset inside a cursor the gateway made. */
export function cursorPosition(cursor: string): { epoch: string; offset: number } {
  const [epoch, offset] = Buffer.from(cursor, 'base64url').toString('utf8').split(':');
  return { epoch: epoch ?? '', offset: Number(offset) };
}

/** The ids a caller's feed lists. */
export async function listedIds(
  url: string,
  token: string,
  deviceSubscriptionId?: string,
): Promise<string[]> {
  const response = await graphql<{ notifications: { edges: Array<{ node: { id: string } }> } }>(
    url,
    LISTED_IDS,
    deviceSubscriptionId ? { deviceSubscriptionId } : {},
    token,
  );
  return dataOf(response).notifications.edges.map((edge) => edge.node.id);
}

export function updateState(
  url: string,
  userToken: string,
  input: Record<string, unknown>,
): Promise<GraphQLResponse<{ updateNotificationState: { notification: Record<string, any> } }>> {
  return graphql(url, UPDATE_STATE, { input }, userToken);
}

/** The feed id behind a UNSID, straight from the store. */
export async function feedIdOf(store: Pick<Store, 'findDeviceSubscription'>, unsid: string): Promise<string> {
  const device = await store.findDeviceSubscription(unsid);
  if (!device) throw new Error(`No device subscription ${unsid}.`);
  return device.feedId;
}

/** A user of the app with one device per entry of `devices` (name → platform), and their token. */
export interface TestUser {
  readonly token: string;
  /** UNSID by device name. */
  readonly devices: Record<string, string>;
  readonly feedId: string;
  /** The UNSID of the named device; fails if there is none. */
  unsid(name: string): string;
  /** Opens the named device's live feed from `after` (default: the feed's current cursor). */
  open(name: string, after?: string | null): Promise<FeedClient>;
  /** Posts a notification for this user (through its first device's UNSID); returns its id. */
  post(appToken: string, overrides?: Record<string, unknown>): Promise<string>;
}

export async function createUser(
  t: TestGateway,
  app: TestApp,
  subject: string,
  devices: Record<string, string>,
): Promise<TestUser> {
  const token = await t.userToken(subject, app.app);
  const unsids: Record<string, string> = {};
  for (const [name, platform] of Object.entries(devices)) {
    unsids[name] = await createDevice(t.url, token, platform, name);
  }
  const unsid = (name: string) => {
    const id = unsids[name];
    if (!id) throw new Error(`No device named ${name}.`);
    return id;
  };
  const first = unsid(Object.keys(devices)[0] as string);
  return {
    token,
    devices: unsids,
    feedId: await feedIdOf(t.gateway.services.store, first),
    unsid,
    async open(name, after) {
      const cursor = after === undefined ? await feedCursor(t.url, token) : after;
      return openFeed(
        t.wsUrl,
        token,
        { deviceSubscriptionId: unsid(name), after: cursor },
        FULL_CHANGE_SELECTION,
      );
    },
    async post(appToken, overrides = {}) {
      const posted = await postNotification(
        t.url,
        appToken,
        notificationInput(first, app.app.targetHostName, overrides),
      );
      return dataOf(posted).createNotification.notification.id as string;
    },
  };
}

/** The changes a feed receives up to and including the first one of notification `id`. */
export async function untilNotification(feed: FeedClient, id: string): Promise<ReceivedChange[]> {
  return feed.until((change) => change.notification?.id === id);
}

/**
 * Retries `check` until it stops throwing, at most `timeoutMs`: for effects that happen behind the
 * response (e.g. a delivery noted after the frame was sent). Rethrows the last failure.
 */
export async function eventually<T>(check: () => Promise<T>, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (let delay = 10; ; delay = Math.min(delay * 2, 200)) {
    try {
      return await check();
    } catch (error) {
      if (Date.now() + delay > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }
}
