import type { Change, DeviceSubscription, Notification } from '../domain/types.js';
import type { Fanout } from '../fanout/fanout.js';
import type { FeedWrites, NotificationEdit, NotificationMatch, PostRequest, Store } from '../store/types.js';

/**
 * Notifications one transaction of a bulk change edits at most. A chunk commits in milliseconds, so it
 * holds its feed's lock (and SQLite's one writer) no longer than a few posts would, and its wake-up is one
 * page of the log: a live device takes it as it takes a burst of posts.
 */
export const BULK_EDIT_CHUNK = 200;

/**
 * The one door through which every change reaches devices: each method commits in the store, then
 * announces what committed on the fan-out (one wake-up per transaction), in that order. So a wake-up
 * never announces what the store does not hold, and nothing committed goes unannounced. (Centrifuge's
 * `Node.Publish` is the model.) Resolvers and the sweeper change feeds only through here: the store they
 * are given has no feed writes.
 */
export interface FeedWriter {
  /** See Store.postNotification; the change is published once committed. */
  postNotification(request: PostRequest): Promise<Change | null>;
  /** See Store.editNotifications (one transaction); its changes are published once committed. */
  editNotifications(
    feedId: string,
    match: NotificationMatch,
    edit: (notification: Notification) => NotificationEdit | null,
    now: Date,
  ): Promise<Change[]>;
  /**
   * Applies one edit to every notification of a feed that matches, BULK_EDIT_CHUNK at a time, oldest
   * first: each chunk is its own transaction, published once it has committed, so neither a transaction
   * nor a wake-up grows with the feed. Notifications posted or replaced after it began (their feed
   * position is past the head it started from) are left alone, so it ends however fast new ones arrive.
   *
   * Resolves once every chunk has committed, with the ids it edited, oldest first. It is not atomic as a
   * whole: another change may land between two chunks, and a failure leaves the chunks before it
   * committed and published, so running it again finishes the job.
   * @throws GatewayError SERVICE_UNAVAILABLE when the store cannot be reached (what was done stays done).
   */
  editAllInChunks(
    feedId: string,
    match: NotificationMatch,
    edit: NotificationEdit,
    now: Date,
  ): Promise<string[]>;
  /** See Store.runDueFallbacks. */
  runDueFallbacks(now: Date, limit: number): Promise<Change[]>;
  /** Deletes a device subscription; its live feeds on every process then end. */
  deleteDeviceSubscription(device: Pick<DeviceSubscription, 'id' | 'feedId'>): Promise<void>;
}

export function createFeedWriter(
  store: FeedWrites & Pick<Store, 'feedHead'>,
  fanout: Pick<Fanout, 'publish' | 'announceDeviceRemoved'>,
): FeedWriter {
  const published = (changes: Change[]): Change[] => {
    fanout.publish(changes);
    return changes;
  };
  return {
    async postNotification(request) {
      const change = await store.postNotification(request);
      if (change) fanout.publish([change]);
      return change;
    },
    editNotifications: async (feedId, match, edit, now) =>
      published(await store.editNotifications(feedId, match, edit, now)),
    async editAllInChunks(feedId, match, edit, now) {
      const head = await store.feedHead(feedId);
      const ids: string[] = [];
      let after = 0;
      for (;;) {
        const changes = published(
          await store.editNotifications(
            feedId,
            { ...match, positionAfter: after, positionThrough: head.offset },
            () => edit,
            now,
            BULK_EDIT_CHUNK,
          ),
        );
        for (const change of changes) ids.push(change.notification.id);
        const last = changes.at(-1);
        // Every notification that matches gets the edit, so a short chunk is the last one.
        if (!last || changes.length < BULK_EDIT_CHUNK) return ids;
        after = last.notification.feedPosition;
      }
    },
    runDueFallbacks: async (now, limit) => published(await store.runDueFallbacks(now, limit)),
    async deleteDeviceSubscription(device) {
      await store.deleteDeviceSubscription(device.id);
      fanout.announceDeviceRemoved(device.feedId, device.id);
    },
  };
}
