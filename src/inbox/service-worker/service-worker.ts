import { type PushPayload, readPushPayload, SYNC_TAG } from './push-payload.js';

// The web inbox's service worker (served as /inbox/service-worker.js, scope /inbox): shows the
// notifications the gateway pushes while no tab of the inbox follows the feed, and brings the inbox up
// when one is clicked. It keeps nothing and holds no token: the feed stays the one source of truth, and
// the page catches up from its cursor when it opens.

declare const self: ServiceWorkerGlobalScope;

/** What the worker tells open inbox tabs (the page listens on navigator.serviceWorker). */
export type WorkerMessage =
  | { readonly type: 'tidings:notificationclick'; readonly notificationId: string | null }
  | { readonly type: 'tidings:pushsubscriptionchange' };

/** The notification data the page and the click handler read. */
interface NotificationData {
  readonly notificationId: string | null;
  readonly url: string;
}

// The inbox is the registration's scope (origin + /inbox).
const inboxUrl = () => self.registration.scope;

function optionsFor(payload: PushPayload | null): { title: string } & NotificationOptions {
  const url = inboxUrl();
  if (payload?.kind === 'CREATED' || payload?.kind === 'REPLACED' || payload?.kind === 'FALLBACK') {
    const { id, title, body } = payload.notification;
    const data: NotificationData = { notificationId: id, url };
    // A notification without a title (raw content that fell back has one; this is belt and braces)
    // still needs a line to show.
    return { title: title || 'New notification', body, tag: payload.tag, data };
  }
  // SYNC (raw content only), or a payload this version does not read: browsers require every push to
  // show something (userVisibleOnly), so one quiet notification, always the same tag, stands for them.
  const data: NotificationData = { notificationId: null, url };
  return { title: 'Tidings', body: 'You have new notifications.', tag: payload?.tag ?? SYNC_TAG, data };
}

/** Closes the OS notifications of notifications read, dismissed or deleted elsewhere (the payload's `close`). */
async function closeTags(tags: readonly string[]) {
  if (tags.length === 0) return;
  const closing = new Set(tags);
  for (const shown of await self.registration.getNotifications()) {
    if (closing.has(shown.tag)) shown.close();
  }
}

self.addEventListener('push', (event) => {
  const payload = readPushPayload(event.data?.text() ?? null);
  const { title, ...options } = optionsFor(payload);
  // Shown even if closing failed: a push that shows nothing breaks the browser's userVisibleOnly rule.
  const closing = closeTags(payload?.close ?? []).catch(() => {});
  event.waitUntil(closing.then(() => self.registration.showNotification(title, options)));
});

/** An open tab of the inbox, if any (not necessarily controlled by this worker: it may predate it). */
async function openInbox(): Promise<WindowClient | undefined> {
  const windows = await self.clients.matchAll({ type: 'window', includeUncontrolled: true });
  const inbox = new URL(inboxUrl());
  return windows.find((client) => {
    const url = new URL(client.url);
    return url.origin === inbox.origin && url.pathname === inbox.pathname;
  });
}

self.addEventListener('notificationclick', (event) => {
  event.notification.close();
  const data = event.notification.data as Partial<NotificationData> | null;
  event.waitUntil(
    (async () => {
      const tab = await openInbox();
      if (!tab) {
        // The page reads the clicked notification from the fragment (never sent to the gateway).
        const id = data?.notificationId;
        const url = data?.url ?? inboxUrl();
        await self.clients.openWindow(id ? `${url}#notification=${encodeURIComponent(id)}` : url);
        return;
      }
      const message: WorkerMessage = {
        type: 'tidings:notificationclick',
        notificationId: data?.notificationId ?? null,
      };
      tab.postMessage(message);
      await tab.focus();
    })(),
  );
});

// The browser replaced the push subscription (rare; Firefox does, on expiry). The worker holds no token
// to store the new one on the device, so it subscribes anew with the same key and asks open tabs to
// store it; with none open, the page stores it on its next start (it checks on every start).
self.addEventListener('pushsubscriptionchange', (event) => {
  const change = event as Event & {
    oldSubscription?: PushSubscription | null;
    newSubscription?: PushSubscription | null;
    waitUntil(promise: Promise<unknown>): void;
  };
  change.waitUntil(
    (async () => {
      const applicationServerKey = change.oldSubscription?.options.applicationServerKey;
      if (!change.newSubscription && applicationServerKey) {
        await self.registration.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey });
      }
      const message: WorkerMessage = { type: 'tidings:pushsubscriptionchange' };
      for (const tab of await self.clients.matchAll({ type: 'window', includeUncontrolled: true })) {
        tab.postMessage(message);
      }
    })(),
  );
});

// A new version takes over at once: it keeps no state and has no cache to migrate.
self.addEventListener('install', () => {
  void self.skipWaiting();
});
self.addEventListener('activate', (event) => event.waitUntil(self.clients.claim()));
