import type { Fanout } from '../fanout/fanout.js';
import type { NotificationEdit, NotificationMatch, Store } from '../store/types.js';

/**
 * Notifications one transaction of a bulk change edits at most. A chunk commits in milliseconds, so it
 * holds its feed's lock (and SQLite's one writer) no longer than a few posts would, and its wake-up is one
 * page of the log: a live device takes it as it takes a burst of posts.
 */
export const BULK_EDIT_CHUNK = 200;

/**
 * Applies one edit to every notification of a feed that matches, BULK_EDIT_CHUNK at a time, oldest
 * first: each chunk is its own transaction, published once it has committed, so neither a transaction
 * nor a wake-up grows with the feed. Notifications posted or replaced after it began (their feed position
 * is past the head it started from) are left alone, so it ends however fast new ones arrive.
 *
 * Resolves once every chunk has committed, with the ids it edited, oldest first. It is not atomic as a
 * whole: another change may land between two chunks, and a failure leaves the chunks before it committed
 * and published, so running it again finishes the job.
 *
 * @throws GatewayError SERVICE_UNAVAILABLE when the store cannot be reached (what was done stays done).
 */
export async function editAllInChunks(
  services: { readonly store: Store; readonly fanout: Fanout },
  feedId: string,
  match: NotificationMatch,
  edit: NotificationEdit,
  now: Date,
): Promise<string[]> {
  const { store, fanout } = services;
  const head = await store.feedHead(feedId);
  const ids: string[] = [];
  let after = 0;
  for (;;) {
    const changes = await store.editNotifications(
      feedId,
      { ...match, positionAfter: after, positionThrough: head.offset },
      () => edit,
      now,
      BULK_EDIT_CHUNK,
    );
    fanout.publish(changes);
    for (const change of changes) ids.push(change.notification.id);
    const last = changes.at(-1);
    // Every notification that matches gets the edit, so a short chunk is the last one.
    if (!last || changes.length < BULK_EDIT_CHUNK) return ids;
    after = last.notification.feedPosition;
  }
}
