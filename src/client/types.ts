// The shapes a client app sees, as schema.graphql defines them. Date-times are ISO 8601 strings (UTC),
// as they arrive: they stay serialisable, so an app can keep notifications where it keeps its cursor.

export type Platform = 'WINDOWS' | 'ANDROID' | 'IOS' | 'WEB';
export type Priority = 'NONE' | 'LOW' | 'HIGH';
export type ReadState = 'UNREAD' | 'READ';
export type UserActionState = 'NO_INTERACTION' | 'ACTIVATED' | 'DISMISSED' | 'SNOOZED';
export type NotificationStatus = 'ACTIVE' | 'DELETED';
/** What happened to a notification; `RESYNC` never reaches the app: the client reloads the feed instead. */
export type ChangeKind =
  | 'CREATED'
  | 'REPLACED'
  | 'UPDATED'
  | 'STATE_CHANGED'
  | 'DELETED'
  | 'EXPIRED'
  | 'FALLBACK'
  | 'RESYNC';

export interface VisualContent {
  readonly title: string;
  readonly body: string | null;
}

export interface Notification {
  readonly id: string;
  readonly appNotificationId: string;
  readonly targetHostName: string;
  readonly payload: { readonly visualContent: VisualContent | null; readonly rawContent: string | null };
  /** Empty: every platform. */
  readonly targetPolicy: { readonly platformTypes: readonly Platform[] };
  readonly priority: Priority;
  readonly groupName: string | null;
  /** Seconds the notification stays on screen. */
  readonly displayTimeToLive: number | null;
  readonly expirationDateTime: string;
  readonly fallbackPolicy: {
    readonly endpointFallback: {
      readonly platformTypes: readonly Platform[];
      readonly fallbackDelayInSeconds: number;
      readonly visualContent: VisualContent;
    };
  } | null;
  readonly readState: ReadState;
  readonly userActionState: UserActionState;
  readonly snoozedUntil: string | null;
  /** `DELETED`: remove it from the screen. */
  readonly status: NotificationStatus;
  readonly createdDateTime: string;
  readonly lastModifiedDateTime: string;
}

export interface DeviceSubscription {
  /** The UNSID. */
  readonly id: string;
  readonly platform: Platform;
  readonly deviceLabel: string;
  readonly expirationDateTime: string;
  readonly createdDateTime: string;
}

/**
 * What the client hands the app, in feed order; only notifications meant for this device (targeted at
 * its platform, or fallen back to it). A snapshot replaces everything the app holds (on a first start
 * without a cursor, and when the server answers RESYNC); a change is applied as an upsert by
 * `notification.id`, removing the notification when its `status` is `DELETED`; a removal removes the
 * notification `id` if the app holds it. Applying one twice is harmless. Show a notification's content
 * with `visualContentFor(notification, platform)`: a fallen-back one shows its fallback's.
 */
export type FeedUpdate =
  | {
      readonly type: 'snapshot';
      readonly reason: 'start' | 'resync';
      /** The device's feed, newest first: active notifications targeted at its platform. */
      readonly notifications: readonly Notification[];
    }
  | {
      readonly type: 'change';
      readonly kind: Exclude<ChangeKind, 'RESYNC'>;
      readonly cursor: string;
      readonly notification: Notification;
    }
  | {
      /**
       * A change of a notification that is not (or no longer) for this device: e.g. read on another
       * device, or replaced with a target policy that leaves this platform out. Remove it if you hold it.
       */
      readonly type: 'removed';
      readonly kind: Exclude<ChangeKind, 'RESYNC'>;
      readonly cursor: string;
      readonly id: string;
    };

/** Where the client stands; `ended`, `failed` and `closed` are final. */
export type ClientStatus =
  | { readonly state: 'starting' }
  | { readonly state: 'connecting' }
  | { readonly state: 'live' }
  /** The socket closed (`closeCode`); graphql-ws reconnects with backoff and the client resumes. */
  | { readonly state: 'reconnecting'; readonly closeCode: number | null }
  /** The device subscription was deleted (from this device or another): create a new one. */
  | { readonly state: 'ended' }
  | { readonly state: 'failed'; readonly error: Error }
  | { readonly state: 'closed' };

/** An access token for the user, from the app's sign-in. `refresh`: the last one was refused or expired. */
export type TokenProvider = (request: { readonly refresh: boolean }) => Promise<string> | string;
