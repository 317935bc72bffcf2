// The narrow interface to storage, and what its operations take and answer.
import type {
  App,
  Change,
  ChangeKind,
  ContentPatch,
  DeviceDelivery,
  DeviceSubscription,
  FeedHead,
  FeedOwner,
  FeedPosition,
  Notification,
  NotificationContent,
  NotificationState,
  NotificationStatus,
  Platform,
  PushSubscription,
  ReadState,
} from '../domain/types.js';

/**
 * Where a post goes: the user behind one of their UNSIDs, for the app posting; a known feed; or a user's
 * feed in an app by its owner, created if that user has none yet (posting to a user by id).
 */
export type PostTarget =
  | { readonly deviceSubscriptionId: string; readonly appId: string }
  | { readonly feedId: string }
  | { readonly owner: FeedOwner };

/** What an app posts (validated, with defaults applied), and to whom. */
export interface PostRequest {
  readonly target: PostTarget;
  readonly content: NotificationContent;
  readonly now: Date;
}

/** One edit to one notification: its change kind and the fields it sets. */
export interface NotificationEdit {
  readonly kind: Extract<ChangeKind, 'UPDATED' | 'STATE_CHANGED' | 'DELETED' | 'EXPIRED'>;
  readonly set: ContentPatch & Partial<NotificationState> & { readonly status?: NotificationStatus };
}

/** Which notifications of a feed an edit applies to; every given criterion must hold. */
export interface NotificationMatch {
  readonly ids?: readonly string[];
  readonly appNotificationIds?: readonly string[];
  readonly groupName?: string;
  readonly readState?: ReadState;
  readonly status?: NotificationStatus;
  /** Only notifications whose feed position is after this one (a bulk edit's next chunk). */
  readonly positionAfter?: number;
  /** Only notifications whose feed position is at most this one (posted before a bulk edit began). */
  readonly positionThrough?: number;
}

/** Which pushes are due: see Store.claimDuePushes and README "Web Push". */
export interface DuePushQuery {
  readonly now: Date;
  /** Changes logged at or before this (now - TIDINGS_WEB_PUSH_DELAY) that no live feed delivered. */
  readonly dueBefore: Date;
  /** Changes logged before this are not pushed any more (a gateway down for long does not replay them). */
  readonly notBefore: Date;
  /**
   * Claims made before this and never settled are taken over: their process died (kill -9, a lost
   * machine) with them, since a live one settles every claim well within the lease (push-dispatcher.ts).
   */
  readonly staleClaimsBefore: Date;
  readonly limit: number;
}

/** What falls due next: see Store.nextPushes. */
export interface NextPushQuery {
  readonly now: Date;
  /** As DuePushQuery's: changes logged before this are not pushed any more. */
  readonly notBefore: Date;
  /** Claims made from this on are left out (the asking process's own: it settles them itself). */
  readonly claimedBefore: Date;
}

/** A push this process claimed: one change to one device's push subscription. */
export interface ClaimedPush {
  readonly deviceSubscriptionId: string;
  readonly platform: Platform;
  readonly subscription: PushSubscription;
  readonly change: Change;
  /** Notifications pushed to this device before, read, dismissed, deleted or expired since: to close. */
  readonly close: readonly string[];
  /**
   * When this process claimed it: the claim's fence. A process that takes a stale claim over stamps it
   * anew, so the first owner's late outcome or release (it was not dead, only slow) changes nothing: its
   * release would let a third process push it again while the new owner sends it. The cost, in that
   * corner only: a late PUSHED of the first owner is dropped too, so a push the browser did show can be
   * left recorded as the new owner's FAILED (it is then not closed when the user reads it elsewhere).
   */
  readonly claimedAt: Date;
}

export type PushOutcome = 'PUSHED' | 'GONE' | 'FAILED' | 'SKIPPED';

export type DeliveryMarkKind = 'DELIVERED' | 'ACKNOWLEDGED';

export interface NotificationPage {
  readonly notifications: readonly Notification[];
  readonly hasNextPage: boolean;
  /** The feed's head when the page was read, in the same snapshot: resume the live feed from it. */
  readonly head: FeedPosition;
}

/** Where a page of device subscriptions starts: after the device with this creation time and id. */
export interface DevicePageKey {
  readonly createdDateTime: Date;
  readonly id: string;
}

export interface DevicePageQuery {
  readonly first: number;
  readonly after: DevicePageKey | null;
  readonly now: Date;
}

export interface DevicePage {
  readonly devices: readonly DeviceSubscription[];
  readonly hasNextPage: boolean;
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
  /**
   * An app by client id. Apps are cached for a minute; `fresh` reads the database (the token endpoint
   * does, so a secret rotated by another process stops working at once).
   */
  findApp(
    id: string,
    options?: { readonly fresh?: boolean },
  ): Promise<(App & { readonly secretHash: string }) | null>;
  listApps(): Promise<App[]>;
  /**
   * Replaces the secret of an app of the embedded issuer. False when no such app exists (an unknown
   * client id, or an app of an external issuer, which has no secret here).
   */
  setAppSecretHash(id: string, secretHash: string): Promise<boolean>;

  /**
   * Creates a device subscription (and the user's feed, for their first).
   * @throws GatewayError LIMIT_EXCEEDED, creating nothing, when the user already has `maxDevices` live
   *   (unexpired at `now`) in the app; checked under the feed's lock, so concurrent creates cannot pass it.
   */
  createDeviceSubscription(input: {
    readonly id: string;
    readonly owner: FeedOwner;
    readonly platform: Platform;
    readonly deviceLabel: string;
    readonly expirationDateTime: Date;
    readonly now: Date;
    readonly maxDevices: number;
    /** A WEB device's push subscription (the caller checked the platform). */
    readonly pushSubscription?: PushSubscription | null;
  }): Promise<DeviceSubscription>;
  findDeviceSubscription(id: string): Promise<DeviceSubscription | null>;
  /** A page of the user's live (unexpired at `now`) device subscriptions, oldest first (keyset). */
  listDeviceSubscriptions(owner: FeedOwner, page: DevicePageQuery): Promise<DevicePage>;
  renewDeviceSubscription(id: string, expirationDateTime: Date): Promise<DeviceSubscription>;
  deleteDeviceSubscription(id: string): Promise<void>;
  /**
   * Sets, replaces or (null) removes a device's push subscription; changes logged before `now` are never
   * pushed to a new one. @throws GatewayError NOT_FOUND when the device does not exist.
   */
  setDevicePushSubscription(
    id: string,
    subscription: PushSubscription | null,
    now: Date,
  ): Promise<DeviceSubscription>;
  /**
   * Key material every process shares: the value stored under `name`, or `create()`'s, stored first
   * by whichever process gets there first (the others read the winner's).
   */
  sharedKey(name: string, create: () => string, now: Date): Promise<string>;
  /**
   * Finds pushes due (see DuePushQuery) and claims them, in one select and one insert for all devices: a
   * push another process claimed first is not returned, unless that claim is stale. At most `limit`.
   */
  claimDuePushes(query: DuePushQuery): Promise<ClaimedPush[]>;
  /**
   * When pushes fall due next, as the store stands (the rows claimDuePushes would consider as of `now`,
   * whatever their delay): the oldest change not claimed yet (due once the push delay has passed since),
   * and the oldest claim made before `claimedBefore` and never settled (taken over once its lease has
   * passed). Null for none. One query, over the push window of Change's (createdAt) index.
   */
  nextPushes(query: NextPushQuery): Promise<{ firstChange: Date | null; firstClaim: Date | null }>;
  /**
   * Records how claimed pushes ended, in one transaction, for the claims still this process's (not taken
   * over meanwhile). GONE also drops the device's push subscription, if it is still the endpoint pushed
   * to (the browser may have stored a new one meanwhile).
   */
  recordPushOutcomes(
    outcomes: ReadonlyArray<{ readonly push: ClaimedPush; readonly outcome: PushOutcome }>,
    at: Date,
  ): Promise<void>;
  /**
   * Deletes the claims of pushes still CLAIMED by this process (stopped before an answer), so they are
   * due again.
   */
  releasePushClaims(pushes: readonly ClaimedPush[]): Promise<void>;

  /** The id of a user's feed in an app, or null before their first device subscription. */
  findFeedId(owner: FeedOwner): Promise<string | null>;
  /**
   * Creates or replaces (same `appNotificationId` in the feed) a notification and logs the change,
   * atomically. Concurrent posts are committed together (group commit). Null when the target UNSID does
   * not exist, is another app's, or has expired at `now`. A target `owner` without a feed gets one, in the
   * same transaction (race-free with a concurrent first device subscription: both find one feed).
   */
  postNotification(request: PostRequest): Promise<Change | null>;
  listNotifications(feedId: string, query: NotificationQuery): Promise<NotificationPage>;
  findNotification(feedId: string, id: string): Promise<Notification | null>;
  /** A notification of a feed by the app's own key. */
  findNotificationByAppId(feedId: string, appNotificationId: string): Promise<Notification | null>;
  /** A notification by id, in whatever feed. Callers check ownership. */
  findNotificationById(id: string): Promise<Notification | null>;
  /**
   * Applies `edit` to each notification of the feed that matches (the first `limit` by feed position, if
   * given), and logs a change for each one it returns an edit for, atomically. `edit` sees the
   * notification as it is inside the transaction. Rows given the same columns are updated together.
   */
  editNotifications(
    feedId: string,
    match: NotificationMatch,
    edit: (notification: Notification) => NotificationEdit | null,
    now: Date,
    limit?: number,
  ): Promise<Change[]>;
  /** The newest position of a feed's log; offset 0 for a feed with no change yet. */
  feedHead(feedId: string): Promise<FeedHead>;
  /**
   * The head of a device subscription's feed; null when that device subscription does not exist (it was
   * deleted). Reads asked for on one turn of the event loop are one query (read-batch.ts): a live feed
   * that starts learns in one read, shared with every feed starting at once, where its feed stands and
   * whether its device is still there.
   */
  deviceFeedHead(deviceSubscriptionId: string): Promise<FeedHead | null>;
  /**
   * Changes after `afterOffset`, oldest first, at most `limit`. With `whileDeviceExists`, none (an empty
   * page) once that device subscription has been deleted: decided by the same statement, so a device's
   * feed learns of its deletion from a read it makes anyway.
   */
  readChanges(
    feedId: string,
    afterOffset: number,
    limit: number,
    whileDeviceExists?: string,
  ): Promise<Change[]>;

  /** Records that devices had (received or acknowledged) every change in (fromOffset, offset]. */
  recordDeliveryMarks(
    marks: ReadonlyArray<{ deviceSubscriptionId: string; fromOffset: number; offset: number; at: Date }>,
    kind: DeliveryMarkKind,
  ): Promise<void>;
  /** Each live device of the notification's feed, with when it received and acknowledged it. */
  deliveryOf(notification: Notification, now: Date): Promise<DeviceDelivery[]>;

  /**
   * Whether a sweep at `now` with this retention `cutoff` has anything to do (expire, send a fallback,
   * purge): one query, so an idle gateway's pass costs one statement instead of every search.
   */
  sweepIsDue(now: Date, cutoff: Date): Promise<boolean>;
  /**
   * The earliest time after which a sweep would find something to do, as the rows stand: the first
   * expiry of an ACTIVE notification, the first fallback due, the first log entry, delivery mark or
   * expired device subscription to leave retention (`retentionMs`), the first tombstone to expire. Null
   * when there is none. A tombstone waiting only for retention is not in it: its last change leaves
   * retention as it does, so that change's time stands for it. One index probe per condition.
   */
  nextSweepDue(retentionMs: number, now: Date): Promise<Date | null>;
  /** ACTIVE notifications past their expiry at `now` (for the sweeper to expire); at most `limit`. */
  findExpiredNotifications(
    now: Date,
    limit: number,
  ): Promise<Array<{ readonly id: string; readonly feedId: string }>>;
  /**
   * Sends due endpoint fallbacks (a FALLBACK change) for notifications no device of the fallback
   * platforms acknowledged; clears those that were acknowledged. At most `limit`.
   */
  runDueFallbacks(now: Date, limit: number): Promise<Change[]>;
  /**
   * Purges log entries and delivery marks older than `cutoff`, tombstones both expired and last changed
   * before it, and device subscriptions expired before it: their marks first (younger ones too), each
   * device once it has none left; at most `limit` rows of each kind it selects (a feed's log entries up to
   * the newest old one, and the pushes of those entries, go with them). Returns how many rows went.
   */
  purge(now: Date, cutoff: Date, limit: number): Promise<number>;

  /** Resolves when the store answers a trivial query (readiness). */
  ping(): Promise<void>;
  close(): Promise<void>;
}

/** The store's writes whose changes devices must be told of. */
export type FeedWriteName =
  | 'postNotification'
  | 'editNotifications'
  | 'runDueFallbacks'
  | 'deleteDeviceSubscription';

/**
 * The writes that change what devices are told: a feed's notifications and log, and the end of a device
 * subscription. Only the feed writer (src/delivery/feed-writer.ts) calls them, so that each is announced
 * once it has committed; the rest of the gateway gets a {@link StoreWithoutFeedWrites}.
 */
export type FeedWrites = Pick<Store, FeedWriteName>;

/** The store without its feed writes: what resolvers, transports and the CLI use. */
export type StoreWithoutFeedWrites = Omit<Store, FeedWriteName>;
