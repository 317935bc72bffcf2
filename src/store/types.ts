// The domain as the rest of the gateway sees it: plain types, no Prisma.

export const PLATFORMS = ['WINDOWS', 'ANDROID', 'IOS', 'WEB'] as const;
export type Platform = (typeof PLATFORMS)[number];
export const PRIORITIES = ['NONE', 'LOW', 'HIGH'] as const;
export type Priority = (typeof PRIORITIES)[number];
export type ReadState = 'UNREAD' | 'READ';
export type UserActionState = 'NO_INTERACTION' | 'ACTIVATED' | 'DISMISSED' | 'SNOOZED';
export type NotificationStatus = 'ACTIVE' | 'DELETED';
/** What happened to a notification; one change of the feed's log. */
export type ChangeKind = 'CREATED' | 'REPLACED';

export interface App {
  /** The client id. */
  readonly id: string;
  readonly targetHostName: string;
  readonly displayName: string;
  readonly createdAt: Date;
}

/** A user of one app: the owner of a feed. */
export interface FeedOwner {
  readonly appId: string;
  readonly issuer: string;
  readonly subject: string;
}

export interface DeviceSubscription {
  /** The UNSID. */
  readonly id: string;
  readonly feedId: string;
  readonly owner: FeedOwner;
  readonly platform: Platform;
  readonly deviceLabel: string;
  readonly expirationDateTime: Date;
  readonly createdDateTime: Date;
}

export interface VisualContent {
  readonly title: string;
  readonly body: string | null;
}

/** Graph's `fallbackPolicy.endpointFallback`. */
export interface EndpointFallback {
  readonly platformTypes: readonly Platform[];
  readonly fallbackDelayInSeconds: number;
  readonly visualContent: VisualContent;
}

/** What an app posts: validated, with defaults applied. */
export interface NotificationContent {
  readonly appNotificationId: string;
  /** The posting app's host name, as Graph kept it on each notification. */
  readonly targetHostName: string;
  readonly priority: Priority;
  readonly groupName: string | null;
  readonly visualContent: VisualContent | null;
  readonly rawContent: string | null;
  /** Empty means every platform. */
  readonly platformTypes: readonly Platform[];
  readonly displayTimeToLive: number | null;
  readonly expirationDateTime: Date;
  readonly fallbackPolicy: EndpointFallback | null;
}

export interface Notification extends NotificationContent {
  readonly id: string;
  readonly feedId: string;
  /** Offset of the change that created or last replaced it: the feed is ordered by it, newest first. */
  readonly feedPosition: number;
  readonly readState: ReadState;
  readonly userActionState: UserActionState;
  readonly snoozedUntil: Date | null;
  readonly status: NotificationStatus;
  readonly createdDateTime: Date;
  readonly lastModifiedDateTime: Date;
}

/** A position in a feed's log. */
export interface FeedPosition {
  readonly epoch: string;
  readonly offset: number;
}

/** One entry of a feed's change log, with the notification as it is now. */
export interface Change extends FeedPosition {
  readonly feedId: string;
  readonly kind: ChangeKind;
  readonly notification: Notification;
}

export interface NotificationPage {
  readonly notifications: readonly Notification[];
  readonly hasNextPage: boolean;
  /** The feed's head when the page was read, in the same snapshot: resume the live feed from it. */
  readonly head: FeedPosition;
}

export interface NotificationQuery {
  readonly first: number;
  /** Only notifications older than this feed position (keyset pagination). */
  readonly beforePosition: number | null;
  readonly readState: ReadState | null;
  readonly groupName: string | null;
}

/** The narrow interface to storage. Every write commits before its promise resolves. */
export interface Store {
  createApp(app: Omit<App, 'createdAt'> & { readonly secretHash: string }): Promise<App>;
  findApp(id: string): Promise<(App & { readonly secretHash: string }) | null>;
  listApps(): Promise<App[]>;

  createDeviceSubscription(input: {
    readonly id: string;
    readonly owner: FeedOwner;
    readonly platform: Platform;
    readonly deviceLabel: string;
    readonly expirationDateTime: Date;
    readonly now: Date;
  }): Promise<DeviceSubscription>;
  findDeviceSubscription(id: string): Promise<DeviceSubscription | null>;
  listDeviceSubscriptions(owner: FeedOwner): Promise<DeviceSubscription[]>;
  renewDeviceSubscription(id: string, expirationDateTime: Date): Promise<DeviceSubscription>;
  deleteDeviceSubscription(id: string): Promise<void>;

  /** The id of a user's feed in an app, or null before their first device subscription. */
  findFeedId(owner: FeedOwner): Promise<string | null>;
  /** Creates or replaces (same `appNotificationId`) a notification and logs the change, atomically. */
  upsertNotification(feedId: string, content: NotificationContent, now: Date): Promise<Change>;
  listNotifications(feedId: string, query: NotificationQuery): Promise<NotificationPage>;
  findNotification(feedId: string, id: string): Promise<Notification | null>;
  /** The newest position of a feed's log; offset 0 for a feed with no change yet. */
  feedHead(feedId: string): Promise<FeedPosition>;
  /** Changes after `afterOffset`, oldest first, at most `limit`. */
  readChanges(feedId: string, afterOffset: number, limit: number): Promise<Change[]>;

  /** Resolves when the store answers a trivial query (readiness). */
  ping(): Promise<void>;
  close(): Promise<void>;
}
