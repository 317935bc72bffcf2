import type { CursorStore, FeedPosition, FeedUpdate, Notification } from '../../client/index.js';

/**
 * The page's copy of the feed and its position (cursor and fallbacks), kept in localStorage under one key, so a reload shows the
 * feed at once and resumes after the cursor. One key, written in one `setItem`: two tabs of the same
 * device both write it, and each write is a cursor with the very notifications it belongs to (with two
 * keys, one tab's cursor could end up beside another tab's older notifications, and a change between
 * them would be lost).
 */
export function createFeedCache(key: string, storage: Storage = localStorage) {
  const notifications = new Map<string, Notification>();
  let position: FeedPosition | null = null;
  try {
    const saved = JSON.parse(storage.getItem(key) ?? 'null') as {
      cursor?: unknown;
      fallbacks?: unknown;
      notifications?: unknown;
    } | null;
    if (typeof saved?.cursor === 'string' && Array.isArray(saved.notifications)) {
      const fallbacks = Array.isArray(saved.fallbacks) ? (saved.fallbacks as string[]) : [];
      position = { cursor: saved.cursor, fallbacks };
      for (const notification of saved.notifications as Notification[]) {
        notifications.set(notification.id, notification);
      }
    }
  } catch {
    // Unreadable: start from a snapshot.
  }

  const store: CursorStore = {
    load: () => position,
    save(next) {
      position = next;
      storage.setItem(key, JSON.stringify({ ...position, notifications: [...notifications.values()] }));
    },
  };
  return {
    ...store,
    /** Newest first. */
    list: (): Notification[] =>
      [...notifications.values()].sort((a, b) => b.createdDateTime.localeCompare(a.createdDateTime)),
    /** Applies one update of the feed, as the client library describes (upsert; DELETED removes). */
    apply(update: FeedUpdate) {
      if (update.type === 'removed') {
        notifications.delete(update.id);
      } else if (update.type === 'snapshot') {
        notifications.clear();
        for (const notification of update.notifications) notifications.set(notification.id, notification);
      } else if (update.notification.status === 'DELETED') {
        notifications.delete(update.notification.id);
      } else {
        notifications.set(update.notification.id, update.notification);
      }
    },
    clear: () => storage.removeItem(key),
  };
}

export type FeedCache = ReturnType<typeof createFeedCache>;
