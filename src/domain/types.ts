// The domain as the whole gateway sees it: plain types, no Prisma, no GraphQL.

export type Platform = 'WINDOWS' | 'ANDROID' | 'IOS' | 'WEB';
export type Priority = 'NONE' | 'LOW' | 'HIGH';
export type ReadState = 'UNREAD' | 'READ';
export type UserActionState = 'NO_INTERACTION' | 'ACTIVATED' | 'DISMISSED' | 'SNOOZED';
export type NotificationStatus = 'ACTIVE' | 'DELETED';
/** What happened to a notification; one change of the feed's log. See PROTOCOL.md. */
export type ChangeKind =
  | 'CREATED'
  | 'REPLACED'
  | 'UPDATED'
  | 'STATE_CHANGED'
  | 'DELETED'
  | 'EXPIRED'
  | 'FALLBACK';

export interface App {
  /** The client id. */
  readonly id: string;
  readonly targetHostName: string;
  readonly displayName: string;
  /**
   * The `iss` its app tokens must come from: null for the embedded issuer (its client credentials are
   * here); an external issuer's for an app registered under its client id there.
   */
  readonly tokenIssuer: string | null;
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
  /** Whether it holds a Web Push subscription (its endpoint stays in the store: a secret). */
  readonly webPush: boolean;
  /** Its feed's head when this was read (it comes with the same row): may be behind by the time it is used. */
  readonly feedHead: FeedHead;
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
  /** The app that posted it (the feed's app). */
  readonly appId: string;
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

/** The newest position of a feed's log, and how much of its start has been purged. */
export interface FeedHead extends FeedPosition {
  /** Changes up to this offset are gone: a cursor before it cannot be resumed. */
  readonly purgedThrough: number;
}

/** The user-side state of a notification that devices share. */
export type NotificationState = Pick<Notification, 'readState' | 'userActionState' | 'snoozedUntil'>;

/** What an app may change of a posted notification. */
export type ContentPatch = Partial<
  Pick<
    NotificationContent,
    'visualContent' | 'rawContent' | 'priority' | 'groupName' | 'displayTimeToLive' | 'expirationDateTime'
  >
>;

/** A device's delivery of one notification, for the app. */
export interface DeviceDelivery {
  readonly deviceSubscription: DeviceSubscription;
  /** Whether the notification's target policy includes the device's platform. */
  readonly targeted: boolean;
  readonly deliveredDateTime: Date | null;
  readonly acknowledgedDateTime: Date | null;
  /** When a Web Push of it was accepted (201) by the device's push service. */
  readonly pushedDateTime: Date | null;
}

/** A browser's Web Push subscription (RFC 8030), validated: an endpoint URL and its two keys (base64url). */
export interface PushSubscription {
  readonly endpoint: string;
  /** The browser's P-256 public key: 65 bytes, uncompressed. */
  readonly p256dh: string;
  /** The auth secret: 16 bytes. */
  readonly auth: string;
}

/** One entry of a feed's change log, with the notification as it is now. */
export interface Change extends FeedPosition {
  readonly feedId: string;
  readonly kind: ChangeKind;
  readonly notification: Notification;
}
