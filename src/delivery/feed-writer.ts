import type { Change, DeviceSubscription, Notification } from '../domain/types.js';
import type { Fanout } from '../fanout/fanout.js';
import type { FeedWrites, NotificationEdit, NotificationMatch, PostRequest } from '../store/types.js';

/**
 * The one door through which every change reaches devices: each method commits in the store, then
 * announces what committed on the fan-out, in that order. So a wake-up never announces what the store
 * does not hold, and nothing committed goes unannounced. (Centrifuge's `Node.Publish` is the model.)
 * Resolvers and the sweeper change feeds only through here: the store they are given has no feed writes.
 */
export interface FeedWriter {
  /** See Store.postNotification; the change is published once committed. */
  postNotification(request: PostRequest): Promise<Change | null>;
  /** See Store.editNotifications; every change is published once committed. */
  editNotifications(
    feedId: string,
    match: NotificationMatch,
    edit: (notification: Notification) => NotificationEdit | null,
    now: Date,
  ): Promise<Change[]>;
  /** See Store.expireNotifications. */
  expireNotifications(now: Date, limit: number): Promise<Change[]>;
  /** See Store.runDueFallbacks. */
  runDueFallbacks(now: Date, limit: number): Promise<Change[]>;
  /** Deletes a device subscription; its live feeds on every process then end. */
  deleteDeviceSubscription(device: Pick<DeviceSubscription, 'id' | 'feedId'>): Promise<void>;
}

export function createFeedWriter(
  store: FeedWrites,
  fanout: Pick<Fanout, 'publish' | 'announceDeviceRemoved'>,
): FeedWriter {
  const published = (changes: Change[]): Change[] => {
    for (const change of changes) fanout.publish(change);
    return changes;
  };
  return {
    async postNotification(request) {
      const change = await store.postNotification(request);
      if (change) fanout.publish(change);
      return change;
    },
    editNotifications: async (feedId, match, edit, now) =>
      published(await store.editNotifications(feedId, match, edit, now)),
    expireNotifications: async (now, limit) => published(await store.expireNotifications(now, limit)),
    runDueFallbacks: async (now, limit) => published(await store.runDueFallbacks(now, limit)),
    async deleteDeviceSubscription(device) {
      await store.deleteDeviceSubscription(device.id);
      fanout.announceDeviceRemoved(device.feedId, device.id);
    },
  };
}
