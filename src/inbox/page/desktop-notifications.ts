import {
  disableWebPush,
  enableWebPush,
  type FeedUpdate,
  getWebPushKey,
  TidingsClientError,
  type TokenProvider,
} from '../../client/index.js';

// Desktop notifications for the inbox: its service worker shows what the gateway pushes while no tab is
// open; this module registers the worker, turns Web Push on and off for the browser's device, and closes
// the OS notifications of notifications read, dismissed or deleted (browsers want a notification shown
// for every push, so the gateway never pushes those: the open page closes them, PROTOCOL.md "Web Push").

const WORKER_URL = '/inbox/service-worker.js';
const SCOPE = '/inbox';
const tagOf = (id: string) => `tidings:${id}`;
const SYNC_TAG = 'tidings:sync';

/** Whether this browser can receive pushes at all. */
export const browserHasPush = (): boolean =>
  'serviceWorker' in navigator && 'PushManager' in globalThis && 'Notification' in globalThis;

/**
 * The inbox's service worker registration (registered on every start: it is what shows pushes, and the
 * page closes notifications through it), or null in a browser without service workers. Not waited for
 * until active: only subscribing needs that (see turnOn).
 */
export async function registerWorker(): Promise<ServiceWorkerRegistration | null> {
  if (!('serviceWorker' in navigator)) return null;
  return navigator.serviceWorker.register(WORKER_URL, { scope: SCOPE });
}

/** The ids whose OS notifications this update makes stale: read, dismissed, deleted, expired, removed. */
function staleIds(update: Exclude<FeedUpdate, { type: 'snapshot' }>): string[] {
  if (update.type === 'removed') return [update.id];
  const { kind, notification } = update;
  const done =
    kind === 'DELETED' ||
    kind === 'EXPIRED' ||
    notification.status === 'DELETED' ||
    notification.readState === 'READ' ||
    notification.userActionState === 'DISMISSED';
  return done ? [notification.id] : [];
}

/**
 * Closes the OS notifications that `update` makes stale. A snapshot (a start, or a resync) closes every
 * one not of an unread, undismissed notification it lists, and the "new notifications" one of a sync push:
 * the page now shows the feed.
 */
export async function closeStale(registration: ServiceWorkerRegistration, update: FeedUpdate): Promise<void> {
  if (update.type === 'snapshot') {
    const keep = new Set(
      update.notifications
        .filter((n) => n.readState === 'UNREAD' && n.userActionState !== 'DISMISSED')
        .map((n) => tagOf(n.id)),
    );
    for (const shown of await registration.getNotifications()) {
      if (shown.tag.startsWith('tidings:') && (shown.tag === SYNC_TAG || !keep.has(shown.tag))) shown.close();
    }
    return;
  }
  for (const id of staleIds(update)) {
    for (const shown of await registration.getNotifications({ tag: tagOf(id) })) shown.close();
  }
}

/** What the control shows: `off` offers to enable; `on` to turn off; `unavailable` says why not. */
export type PushState =
  | { readonly state: 'off' }
  | { readonly state: 'on' }
  | { readonly state: 'busy' }
  | { readonly state: 'unavailable'; readonly reason: string };

export interface PushAccess {
  readonly url: string;
  readonly token: TokenProvider;
  readonly deviceSubscriptionId: string;
  /** The service worker's registration, once registered (null: the browser has no service workers). */
  readonly registration: Promise<ServiceWorkerRegistration | null>;
}

const describe = (error: unknown) =>
  error instanceof TidingsClientError
    ? `${error.message} (${error.code})`
    : error instanceof Error
      ? error.message
      : String(error);

/**
 * Where desktop notifications stand for this browser's device, and (the check on every start) the
 * subscription stored again when it is on: browsers rotate subscriptions, gateways their keys.
 */
export async function checkPush(access: PushAccess): Promise<PushState> {
  const registration = await access.registration;
  // Browsers offer service workers and pushes to secure pages only (https:, or localhost).
  if (!isSecureContext) {
    return { state: 'unavailable', reason: 'Desktop notifications need the inbox on https: (or localhost).' };
  }
  if (!browserHasPush() || !registration) {
    return { state: 'unavailable', reason: 'This browser cannot receive pushes (it has no Push API).' };
  }
  let key: string | null;
  try {
    key = await getWebPushKey(access);
  } catch (error) {
    return { state: 'unavailable', reason: `The gateway did not say whether it pushes: ${describe(error)}` };
  }
  if (key === null) return { state: 'unavailable', reason: 'This gateway has Web Push turned off.' };
  if (Notification.permission === 'denied') {
    return {
      state: 'unavailable',
      reason: "Notifications are blocked for this site in the browser's settings.",
    };
  }
  if (Notification.permission !== 'granted' || !(await registration.pushManager.getSubscription())) {
    return { state: 'off' };
  }
  await enableWebPush({ ...access, registration });
  return { state: 'on' };
}

/** The registration once its worker is active (a push subscription needs one). */
async function activeRegistration(access: PushAccess): Promise<ServiceWorkerRegistration> {
  if (!(await access.registration)) throw new Error('This browser has no service workers.');
  return navigator.serviceWorker.ready;
}

/**
 * Turns desktop notifications on (from a click: browsers ask for the permission only then).
 * @throws TidingsClientError PERMISSION_DENIED, WEB_PUSH_UNAVAILABLE, or the gateway's codes.
 */
export async function turnOn(access: PushAccess): Promise<PushState> {
  const permission = await Notification.requestPermission();
  if (permission !== 'granted') {
    return { state: 'unavailable', reason: 'Notifications were not allowed for this site.' };
  }
  await enableWebPush({ ...access, registration: await activeRegistration(access) });
  return { state: 'on' };
}

/** Turns them off: the device keeps following the feed, without pushes. */
export async function turnOff(access: PushAccess): Promise<PushState> {
  await disableWebPush({ ...access, registration: await activeRegistration(access) });
  return { state: 'off' };
}
