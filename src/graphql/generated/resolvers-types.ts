import type { GraphQLResolveInfo, GraphQLScalarType, GraphQLScalarTypeConfig } from 'graphql';
import type { Notification as NotificationModel, DeviceSubscription as DeviceSubscriptionModel } from '../../domain/types.js';
import type { GatewayContext } from '../context.js';
export type Maybe<T> = T | null;
export type InputMaybe<T> = Maybe<T>;
export type Omit<T, K extends keyof T> = Pick<T, Exclude<keyof T, K>>;
export type RequireFields<T, K extends keyof T> = Omit<T, K> & { [P in K]-?: NonNullable<T[P]> };
/** All built-in and custom scalars, mapped to their actual values */
export type Scalars = {
  ID: { input: string; output: string; }
  String: { input: string; output: string; }
  Boolean: { input: boolean; output: boolean; }
  Int: { input: number; output: number; }
  Float: { input: number; output: number; }
  /** An ISO 8601 date-time with a time zone, e.g. 2026-11-22T10:00:00Z. Always sent in UTC. */
  DateTime: { input: Date; output: Date; }
};

/** Which device received what (acknowledgeNotifications). */
export type AcknowledgeNotificationsInput = {
  /** The UNSID of the calling user's own device that received the changes (NOT_FOUND otherwise). */
  readonly deviceSubscriptionId: Scalars['ID']['input'];
  /** The cursor of the newest change the device has (from notificationChanges); BAD_USER_INPUT for one not of this feed. */
  readonly upTo: Scalars['String']['input'];
};

/** What acknowledgeNotifications recorded. */
export type AcknowledgeNotificationsPayload = {
  readonly __typename?: 'AcknowledgeNotificationsPayload';
  /** The cursor acknowledged: every change up to it counts as received by this device. */
  readonly cursor: Scalars['String']['output'];
  /** The UNSID of the device that acknowledged. */
  readonly deviceSubscriptionId: Scalars['ID']['output'];
};

/** What happened to a notification, or what the client must do. See PROTOCOL.md. */
export type ChangeKind =
  /** A new notification. */
  | 'CREATED'
  /** Deleted by the user or the app: remove it. It stays a tombstone (status DELETED) until it expires. */
  | 'DELETED'
  /** Past its expirationDateTime: remove it. */
  | 'EXPIRED'
  /** No device of the fallback platforms acknowledged it in time: show its fallback visual content. */
  | 'FALLBACK'
  /** The app posted the same appNotificationId again: new content, state reset to unread. */
  | 'REPLACED'
  /** The cursor cannot be resumed (another epoch, or older than what is kept): reload with `notifications`, then continue from this change's cursor. */
  | 'RESYNC'
  /** A device of the user changed its read or action state. */
  | 'STATE_CHANGED'
  /** The app changed its content, priority or expiry (updateNotification). */
  | 'UPDATED';

/** The device a user registers (createDeviceSubscription). */
export type CreateDeviceSubscriptionInput = {
  /** A name the user recognises, e.g. "Alice's phone". At most 100 characters. */
  readonly deviceLabel: Scalars['String']['input'];
  /** Defaults to now + 30 days; at most 90 days ahead. */
  readonly expirationDateTime?: InputMaybe<Scalars['DateTime']['input']>;
  /** The kind of device; notifications that target other platforms do not reach it. */
  readonly platform: Platform;
  /** WEB devices only: the browser's push subscription, so the device gets Web Push while its app is closed. */
  readonly pushSubscription?: InputMaybe<PushSubscriptionInput>;
};

/** A notification to post (createNotification). Every rule is Microsoft Graph's, except targetHostName may be left out. */
export type CreateNotificationInput = {
  /** Your key for this notification. Posting the same one again for the same user replaces it. At most 200 characters. */
  readonly appNotificationId: Scalars['String']['input'];
  /**
   * The UNSID of one of the target user's devices. The notification goes to all of that user's devices that match targetPolicy.
   * With an app token, name the user with exactly one of deviceSubscriptionId and userId. With a user's delegated token
   * (on-behalf-of) the target is that user; a UNSID, if given, must be theirs.
   */
  readonly deviceSubscriptionId?: InputMaybe<Scalars['ID']['input']>;
  /** Seconds to stay on screen, 1 to 86,400. */
  readonly displayTimeToLive?: InputMaybe<Scalars['Int']['input']>;
  /** Defaults to now + 7 days; at most 30 days ahead; not in the past. */
  readonly expirationDateTime?: InputMaybe<Scalars['DateTime']['input']>;
  /** Only with priority HIGH and rawContent. */
  readonly fallbackPolicy?: InputMaybe<FallbackPolicyInput>;
  /** At most 100 characters. */
  readonly groupName?: InputMaybe<Scalars['String']['input']>;
  /** What it carries: visual content, raw content or both. */
  readonly payload: PayloadInput;
  /** How urgent it is. Default NONE. */
  readonly priority?: InputMaybe<Priority>;
  /**
   * Your app's registered host name. Optional: the token already names your app. If given, it must be
   * that app's (case-insensitive; BAD_USER_INPUT otherwise).
   */
  readonly targetHostName?: InputMaybe<Scalars['String']['input']>;
  /** Which platforms it goes to; absent: every platform. */
  readonly targetPolicy?: InputMaybe<TargetPolicyInput>;
  /**
   * The target user by id instead of by UNSID (app token): the user id your app's user tokens carry (`sub`, or the
   * claim TIDINGS_CLAIM_USER names), from the issuer your app is registered with. The notification is stored in that
   * user's feed of your app even if they have no device yet, and reaches their devices when they appear.
   * 1 to 255 characters, compared exactly. With a delegated token it must be the token's own user.
   */
  readonly userId?: InputMaybe<Scalars['String']['input']>;
};

/** The notification createNotification posted. */
export type CreateNotificationPayload = {
  readonly __typename?: 'CreateNotificationPayload';
  /** The notification as stored. */
  readonly notification: Notification;
  /** Whether a new notification was created or one with the same appNotificationId was replaced. */
  readonly outcome: UpsertOutcome;
};

/** Which device subscription to delete. */
export type DeleteDeviceSubscriptionInput = {
  /** The UNSID of one of the calling user's own, unexpired devices (NOT_FOUND otherwise). */
  readonly deviceSubscriptionId: Scalars['ID']['input'];
};

/** The device subscription deleteDeviceSubscription deleted. */
export type DeleteDeviceSubscriptionPayload = {
  readonly __typename?: 'DeleteDeviceSubscriptionPayload';
  /** The UNSID deleted: it is NOT_FOUND from now on, and its live feeds have ended. */
  readonly deviceSubscriptionId: Scalars['ID']['output'];
};

/** Which group deleteNotificationGroup deletes. */
export type DeleteNotificationGroupInput = {
  /** App token: a UNSID of the user whose group to delete (required; NOT_FOUND for another app's). A user token deletes in its own feed and ignores it. */
  readonly deviceSubscriptionId?: InputMaybe<Scalars['ID']['input']>;
  /** The group's name (exact match). */
  readonly groupName: Scalars['String']['input'];
};

/** The notifications deleteNotificationGroup deleted. */
export type DeleteNotificationGroupPayload = {
  readonly __typename?: 'DeleteNotificationGroupPayload';
  /** The ids of the notifications deleted; empty when the group had none. */
  readonly notificationIds: ReadonlyArray<Scalars['ID']['output']>;
};

/** Which notification deleteNotification deletes. */
export type DeleteNotificationInput = {
  /** The notification: a user's own by `{ id }`; an app's own by `{ id }` or `{ deviceSubscriptionId, appNotificationId }`. */
  readonly notification: NotificationRef;
};

/** The notification deleteNotification deleted. */
export type DeleteNotificationPayload = {
  readonly __typename?: 'DeleteNotificationPayload';
  /** The id of the notification deleted: every device of its user got DELETED. */
  readonly notificationId: Scalars['ID']['output'];
};

/** How far one notification reached one device of its user. */
export type DeviceDelivery = {
  readonly __typename?: 'DeviceDelivery';
  /** When the device acknowledged it (acknowledgeNotifications); null if not yet. */
  readonly acknowledgedDateTime?: Maybe<Scalars['DateTime']['output']>;
  /**
   * When the device's live feed first reached or passed it (or the device acknowledged it); null if not
   * yet, and always null for a device the targetPolicy leaves out.
   */
  readonly deliveredDateTime?: Maybe<Scalars['DateTime']['output']>;
  /** The device's label, as the user named it. */
  readonly deviceLabel: Scalars['String']['output'];
  /** The device's UNSID. */
  readonly deviceSubscriptionId: Scalars['ID']['output'];
  /** The device's platform. */
  readonly platform: Platform;
  /** When a Web Push of it was accepted (201) by the device's push service; null if none was. */
  readonly pushedDateTime?: Maybe<Scalars['DateTime']['output']>;
  /** Whether the notification's targetPolicy includes this device's platform. */
  readonly targeted: Scalars['Boolean']['output'];
};

/** One device of a user running one app (Graph: user notification subscription). Its id is the UNSID. */
export type DeviceSubscription = {
  readonly __typename?: 'DeviceSubscription';
  /** When it was created. */
  readonly createdDateTime: Scalars['DateTime']['output'];
  /** The name the user recognises it by, as given when it was created. */
  readonly deviceLabel: Scalars['String']['output'];
  /** When it stops working unless renewed (renewDeviceSubscription); an expired one is NOT_FOUND everywhere. */
  readonly expirationDateTime: Scalars['DateTime']['output'];
  /** The UNSID (deviceSubscriptionId everywhere else): opaque and unguessable. Hand it to your app service so it can target this user. */
  readonly id: Scalars['ID']['output'];
  /** The kind of device, as given when it was created. */
  readonly platform: Platform;
  /** True when it holds a Web Push subscription (WEB devices; see setDevicePushSubscription). The endpoint is never returned. */
  readonly webPush: Scalars['Boolean']['output'];
};

/** A page of the calling user's device subscriptions, oldest first. */
export type DeviceSubscriptionConnection = {
  readonly __typename?: 'DeviceSubscriptionConnection';
  /** The devices of this page. */
  readonly edges: ReadonlyArray<DeviceSubscriptionEdge>;
  /** Whether there is a next page, and where it starts. */
  readonly pageInfo: PageInfo;
};

/** One device subscription in a page of deviceSubscriptions. */
export type DeviceSubscriptionEdge = {
  readonly __typename?: 'DeviceSubscriptionEdge';
  /** This device's position in the list: pass it as `after` to read the devices after it. */
  readonly cursor: Scalars['String']['output'];
  /** The device subscription. */
  readonly node: DeviceSubscription;
};

/** What to show on other platforms when no device of the targeted ones received a HIGH raw notification in time. */
export type EndpointFallback = {
  readonly __typename?: 'EndpointFallback';
  /** How long (60 to 600 seconds) after posting the gateway waits for an acknowledgement before falling back. */
  readonly fallbackDelayInSeconds: Scalars['Int']['output'];
  /** The platforms that get FALLBACK and show visualContent. */
  readonly platformTypes: ReadonlyArray<Platform>;
  /** What the fallback platforms show. */
  readonly visualContent: VisualContent;
};

/** What other platforms show when no device of the targeted ones acknowledged a HIGH raw notification in time. */
export type EndpointFallbackInput = {
  /** 60 to 600. */
  readonly fallbackDelayInSeconds: Scalars['Int']['input'];
  /** The platforms that fall back (at least one). */
  readonly platformTypes: ReadonlyArray<Platform>;
  /** What the fallback platforms show. */
  readonly visualContent: VisualContentInput;
};

/** A notification's fallback, for a HIGH notification with rawContent. */
export type FallbackPolicy = {
  readonly __typename?: 'FallbackPolicy';
  /** Where and when to fall back, and what to show. */
  readonly endpointFallback: EndpointFallback;
};

/** A notification's fallback: only with priority HIGH and rawContent. */
export type FallbackPolicyInput = {
  /** Where and when to fall back, and what to show. */
  readonly endpointFallback: EndpointFallbackInput;
};

/** What markAllRead did. */
export type MarkAllReadPayload = {
  readonly __typename?: 'MarkAllReadPayload';
  /** How many notifications changed from UNREAD to READ. */
  readonly count: Scalars['Int']['output'];
};

/**
 * Writes. Every mutation that takes arguments takes one `input`. Mutations are rate limited (RATE_LIMITED
 * with extensions.retryAfterSeconds): per user and app for a user token, per app for an app token.
 */
export type Mutation = {
  readonly __typename?: 'Mutation';
  /**
   * Records that the device received every change up to the cursor `upTo` (from notificationChanges).
   * Send the newest cursor now and then, not one per change. User token only.
   */
  readonly acknowledgeNotifications: AcknowledgeNotificationsPayload;
  /**
   * Registers the calling user's device for the app their token was issued to. Returns the UNSID.
   * LIMIT_EXCEEDED, creating nothing, when the user already has TIDINGS_MAX_DEVICES_PER_USER live devices
   * in the app (default 100; expired ones do not count).
   */
  readonly createDeviceSubscription: DeviceSubscription;
  /**
   * Posts a notification to a user of the calling app, named by one of their UNSIDs or by their user id (app
   * token with Notifications.ReadWrite.CreatedByApp), or to the token's own user (a user's delegated token
   * with that scope). NOT_FOUND for a UNSID that is not the app's, or has expired.
   */
  readonly createNotification: CreateNotificationPayload;
  /** Deletes one of the calling user's device subscriptions: its live feeds end (complete). User token only. */
  readonly deleteDeviceSubscription: DeleteDeviceSubscriptionPayload;
  /** Deletes a notification from every device of its user: the user's own (by id), or the app's own. */
  readonly deleteNotification: DeleteNotificationPayload;
  /**
   * Deletes every active notification of a group: in the user's own feed, or (app) of the user behind
   * deviceSubscriptionId. One DELETED each, committed and delivered a few hundred at a time.
   */
  readonly deleteNotificationGroup: DeleteNotificationGroupPayload;
  /**
   * Marks every unread notification of the user's feed as read: one STATE_CHANGED each, committed and
   * delivered a few hundred at a time. Answers once all are committed. User token only.
   */
  readonly markAllRead: MarkAllReadPayload;
  /** Extends one of the calling user's device subscriptions. User token only. */
  readonly renewDeviceSubscription: DeviceSubscription;
  /**
   * Sets or replaces (or, with null, removes) the push subscription of one of the calling user's WEB
   * devices. BAD_USER_INPUT for a bad endpoint or keys, or a device that is not WEB; NOT_FOUND for a device
   * that is not the caller's. User token only.
   */
  readonly setDevicePushSubscription: DeviceSubscription;
  /** Changes the content, priority or expiry of one of the calling app's notifications. State is kept. App token only. */
  readonly updateNotification: NotificationPayload;
  /** Changes the shared state of one notification of the user's feed; every other device sees it. User token only. */
  readonly updateNotificationState: NotificationPayload;
};


/**
 * Writes. Every mutation that takes arguments takes one `input`. Mutations are rate limited (RATE_LIMITED
 * with extensions.retryAfterSeconds): per user and app for a user token, per app for an app token.
 */
export type MutationAcknowledgeNotificationsArgs = {
  input: AcknowledgeNotificationsInput;
};


/**
 * Writes. Every mutation that takes arguments takes one `input`. Mutations are rate limited (RATE_LIMITED
 * with extensions.retryAfterSeconds): per user and app for a user token, per app for an app token.
 */
export type MutationCreateDeviceSubscriptionArgs = {
  input: CreateDeviceSubscriptionInput;
};


/**
 * Writes. Every mutation that takes arguments takes one `input`. Mutations are rate limited (RATE_LIMITED
 * with extensions.retryAfterSeconds): per user and app for a user token, per app for an app token.
 */
export type MutationCreateNotificationArgs = {
  input: CreateNotificationInput;
};


/**
 * Writes. Every mutation that takes arguments takes one `input`. Mutations are rate limited (RATE_LIMITED
 * with extensions.retryAfterSeconds): per user and app for a user token, per app for an app token.
 */
export type MutationDeleteDeviceSubscriptionArgs = {
  input: DeleteDeviceSubscriptionInput;
};


/**
 * Writes. Every mutation that takes arguments takes one `input`. Mutations are rate limited (RATE_LIMITED
 * with extensions.retryAfterSeconds): per user and app for a user token, per app for an app token.
 */
export type MutationDeleteNotificationArgs = {
  input: DeleteNotificationInput;
};


/**
 * Writes. Every mutation that takes arguments takes one `input`. Mutations are rate limited (RATE_LIMITED
 * with extensions.retryAfterSeconds): per user and app for a user token, per app for an app token.
 */
export type MutationDeleteNotificationGroupArgs = {
  input: DeleteNotificationGroupInput;
};


/**
 * Writes. Every mutation that takes arguments takes one `input`. Mutations are rate limited (RATE_LIMITED
 * with extensions.retryAfterSeconds): per user and app for a user token, per app for an app token.
 */
export type MutationRenewDeviceSubscriptionArgs = {
  input: RenewDeviceSubscriptionInput;
};


/**
 * Writes. Every mutation that takes arguments takes one `input`. Mutations are rate limited (RATE_LIMITED
 * with extensions.retryAfterSeconds): per user and app for a user token, per app for an app token.
 */
export type MutationSetDevicePushSubscriptionArgs = {
  input: SetDevicePushSubscriptionInput;
};


/**
 * Writes. Every mutation that takes arguments takes one `input`. Mutations are rate limited (RATE_LIMITED
 * with extensions.retryAfterSeconds): per user and app for a user token, per app for an app token.
 */
export type MutationUpdateNotificationArgs = {
  input: UpdateNotificationInput;
};


/**
 * Writes. Every mutation that takes arguments takes one `input`. Mutations are rate limited (RATE_LIMITED
 * with extensions.retryAfterSeconds): per user and app for a user token, per app for an app token.
 */
export type MutationUpdateNotificationStateArgs = {
  input: UpdateNotificationStateInput;
};

/**
 * A notification posted by an app to a user. One notification is shared by all the user's devices: its read
 * and action state are the same everywhere.
 */
export type Notification = {
  readonly __typename?: 'Notification';
  /** The app's own key for it, unique per user: posting it again replaces the notification. */
  readonly appNotificationId: Scalars['String']['output'];
  /** When it was first posted (a replacement keeps it). */
  readonly createdDateTime: Scalars['DateTime']['output'];
  /** Seconds the notification stays on screen; null leaves it to the device. */
  readonly displayTimeToLive?: Maybe<Scalars['Int']['output']>;
  /** When it expires: then every device gets EXPIRED and it is gone. */
  readonly expirationDateTime: Scalars['DateTime']['output'];
  /** What other platforms show if the targeted ones do not acknowledge it in time; null when none. */
  readonly fallbackPolicy?: Maybe<FallbackPolicy>;
  /** The group it belongs to (deleteNotificationGroup deletes a group at once); null when none. */
  readonly groupName?: Maybe<Scalars['String']['output']>;
  /** The gateway's id of the notification: name it with `NotificationRef { id }`. */
  readonly id: Scalars['ID']['output'];
  /** When its content or state last changed. */
  readonly lastModifiedDateTime: Scalars['DateTime']['output'];
  /** What it carries: visual content, raw content or both. */
  readonly payload: Payload;
  /** How urgent it is. */
  readonly priority: Priority;
  /** Whether the user has read it (shared by all their devices). */
  readonly readState: ReadState;
  /** Until when it is snoozed; null unless userActionState is SNOOZED. */
  readonly snoozedUntil?: Maybe<Scalars['DateTime']['output']>;
  /** ACTIVE, or DELETED (deleted or expired: remove it). */
  readonly status: NotificationStatus;
  /** The registered host name of the app that posted it. */
  readonly targetHostName: Scalars['String']['output'];
  /** Which platforms it goes to. */
  readonly targetPolicy: TargetPolicy;
  /** What the user last did with it (shared by all their devices). */
  readonly userActionState: UserActionState;
};

/** One change of a user's feed, as notificationChanges sends it. */
export type NotificationChange = {
  readonly __typename?: 'NotificationChange';
  /** Store it; resume with notificationChanges(after: cursor) to get every change after this one. */
  readonly cursor: Scalars['String']['output'];
  /** What happened (see ChangeKind). */
  readonly kind: ChangeKind;
  /**
   * The notification as it is now (after this change; on replay, as it is at replay time). Apply it as an
   * upsert by id; status DELETED means remove it. Null for RESYNC.
   */
  readonly notification?: Maybe<Notification>;
};

/** A page of a user's feed, newest first. */
export type NotificationConnection = {
  readonly __typename?: 'NotificationConnection';
  /** The notifications of this page. */
  readonly edges: ReadonlyArray<NotificationEdge>;
  /**
   * The feed's position when this page was read. Subscribe with notificationChanges(after: feedCursor)
   * to get every change made since, with nothing missed. Null before the user's first device subscription.
   */
  readonly feedCursor?: Maybe<Scalars['String']['output']>;
  /** Whether there is a next page, and where it starts. */
  readonly pageInfo: PageInfo;
};

/** Where one of the app's notifications has reached (notificationDelivery). */
export type NotificationDelivery = {
  readonly __typename?: 'NotificationDelivery';
  /** Every live (unexpired) device subscription of the notification's user in the app, oldest first. */
  readonly devices: ReadonlyArray<DeviceDelivery>;
  /** The notification. */
  readonly notification: Notification;
};

/** One notification in a page of the feed. */
export type NotificationEdge = {
  readonly __typename?: 'NotificationEdge';
  /** This notification's position in the feed: pass it as `after` to read the notifications after it. */
  readonly cursor: Scalars['String']['output'];
  /** The notification. */
  readonly node: Notification;
};

/** Which notifications of the feed to list; every filter given must match. */
export type NotificationFilter = {
  /** Only notifications of this group (exact match). */
  readonly groupName?: InputMaybe<Scalars['String']['input']>;
  /** Only notifications in this read state. */
  readonly readState?: InputMaybe<ReadState>;
};

/** The notification a mutation changed, as it is now. */
export type NotificationPayload = {
  readonly __typename?: 'NotificationPayload';
  /** The notification after the change. */
  readonly notification: Notification;
};

/**
 * Which notification: by `id` (user or app), or by `deviceSubscriptionId` + `appNotificationId` (app: the
 * user behind that UNSID and the app's own key). Give exactly one form (BAD_USER_INPUT otherwise); a user
 * token names a notification by `id` only.
 */
export type NotificationRef = {
  /** App token: the app's own key of the notification, with deviceSubscriptionId. */
  readonly appNotificationId?: InputMaybe<Scalars['String']['input']>;
  /** App token: a UNSID of the notification's user, with appNotificationId. */
  readonly deviceSubscriptionId?: InputMaybe<Scalars['ID']['input']>;
  /** The notification's id (Notification.id). */
  readonly id?: InputMaybe<Scalars['ID']['input']>;
};

/** Whether a notification is still shown. */
export type NotificationStatus =
  /** Shown on the devices it targets. */
  | 'ACTIVE'
  /** Deleted or expired: remove it. It stays a tombstone, so that every device learns it is gone, until it is purged. */
  | 'DELETED';

/** Where a page ends, and whether another follows. */
export type PageInfo = {
  readonly __typename?: 'PageInfo';
  /** Pass it as `after` to read the next page; null for an empty page. */
  readonly endCursor?: Maybe<Scalars['String']['output']>;
  /** Whether there is a next page. */
  readonly hasNextPage: Scalars['Boolean']['output'];
};

/** What a notification carries: visual content, raw content for the app, or both. */
export type Payload = {
  readonly __typename?: 'Payload';
  /** The app's own data, handed to the app on the device as it is (at most 4,096 bytes); null when there is none. */
  readonly rawContent?: Maybe<Scalars['String']['output']>;
  /** What the device shows; null for a raw-only notification. */
  readonly visualContent?: Maybe<VisualContent>;
};

/** What the notification carries: visual content, raw content for the app, or both. */
export type PayloadInput = {
  /** Handed to the app on the device as it is. At most 4,096 bytes. */
  readonly rawContent?: InputMaybe<Scalars['String']['input']>;
  /** Shown by the device. At least one of visualContent and rawContent is required. */
  readonly visualContent?: InputMaybe<VisualContentInput>;
};

/** The kind of device a device subscription runs on. A notification's targetPolicy names platforms of these. */
export type Platform =
  /** An Android app. */
  | 'ANDROID'
  /** An iOS or iPadOS app. */
  | 'IOS'
  /** A web page (browser). */
  | 'WEB'
  /** A Windows app or desktop. */
  | 'WINDOWS';

/** How urgent a notification is. The gateway stores it and hands it to devices; a device decides how to show it. */
export type Priority =
  /** Urgent. Only a HIGH notification with rawContent may have a fallbackPolicy. */
  | 'HIGH'
  /** Less urgent than usual. */
  | 'LOW'
  /** No particular urgency (the default). */
  | 'NONE';

/** A browser's push subscription, as PushSubscription.toJSON() gives it (expirationTime is accepted and ignored). */
export type PushSubscriptionInput = {
  /** The push service's URL for this browser: https: only. Treated as a secret: never returned nor logged. */
  readonly endpoint: Scalars['String']['input'];
  /** As toJSON() returns it (usually null); ignored. */
  readonly expirationTime?: InputMaybe<Scalars['Float']['input']>;
  /** The browser's keys, used to encrypt each push to it. */
  readonly keys: PushSubscriptionKeysInput;
};

/** The keys of a browser's push subscription, as PushSubscription.toJSON() gives them. */
export type PushSubscriptionKeysInput = {
  /** base64url, 16 bytes. */
  readonly auth: Scalars['String']['input'];
  /** base64url, a 65-byte uncompressed P-256 point. */
  readonly p256dh: Scalars['String']['input'];
};

/** Reads. A user token reads the user's own devices and feed in its app; an app token reads its own notifications. */
export type Query = {
  readonly __typename?: 'Query';
  /**
   * The calling user's live (unexpired) devices for the app their token was issued to, oldest first,
   * `first` (1 to 100) a page; pass `pageInfo.endCursor` as `after` for the next page. User token only
   * (FORBIDDEN for an app token).
   */
  readonly deviceSubscriptions: DeviceSubscriptionConnection;
  /** One notification of the caller's feed (user) or of the caller's own (app). NOT_FOUND otherwise, or when deleted. */
  readonly notification?: Maybe<Notification>;
  /**
   * Per-device delivery and acknowledgement of one of the calling app's notifications. App token only
   * (FORBIDDEN for a user token); NOT_FOUND for another app's notification, as for one that does not exist.
   */
  readonly notificationDelivery: NotificationDelivery;
  /**
   * A feed, newest first; deleted notifications are not listed. A user token reads the user's own feed;
   * an app token reads its notifications of the user behind `deviceSubscriptionId`.
   */
  readonly notifications: NotificationConnection;
  /** Null when Web Push is not enabled on this gateway (TIDINGS_WEB_PUSH). */
  readonly webPush?: Maybe<WebPushInfo>;
};


/** Reads. A user token reads the user's own devices and feed in its app; an app token reads its own notifications. */
export type QueryDeviceSubscriptionsArgs = {
  after?: InputMaybe<Scalars['String']['input']>;
  first?: InputMaybe<Scalars['Int']['input']>;
};


/** Reads. A user token reads the user's own devices and feed in its app; an app token reads its own notifications. */
export type QueryNotificationArgs = {
  notification: NotificationRef;
};


/** Reads. A user token reads the user's own devices and feed in its app; an app token reads its own notifications. */
export type QueryNotificationDeliveryArgs = {
  notification: NotificationRef;
};


/** Reads. A user token reads the user's own devices and feed in its app; an app token reads its own notifications. */
export type QueryNotificationsArgs = {
  after?: InputMaybe<Scalars['String']['input']>;
  deviceSubscriptionId?: InputMaybe<Scalars['ID']['input']>;
  filter?: InputMaybe<NotificationFilter>;
  first?: InputMaybe<Scalars['Int']['input']>;
};

/** Whether the user has read a notification, on any of their devices (shared state). */
export type ReadState =
  /** Read on one of the user's devices. */
  | 'READ'
  /** Not read yet (every new or replaced notification starts so). */
  | 'UNREAD';

/** Which device subscription to renew, and until when. */
export type RenewDeviceSubscriptionInput = {
  /** The UNSID of one of the calling user's own, unexpired devices (NOT_FOUND otherwise). */
  readonly deviceSubscriptionId: Scalars['ID']['input'];
  /** The new expiry: in the future, at most 90 days ahead (BAD_USER_INPUT otherwise). Defaults to now + 30 days. */
  readonly expirationDateTime?: InputMaybe<Scalars['DateTime']['input']>;
};

/** Which WEB device, and the push subscription it now holds. */
export type SetDevicePushSubscriptionInput = {
  /** The UNSID of one of the calling user's own, unexpired WEB devices (NOT_FOUND otherwise). */
  readonly deviceSubscriptionId: Scalars['ID']['input'];
  /** The new push subscription (browsers rotate them); null removes it. */
  readonly pushSubscription?: InputMaybe<PushSubscriptionInput>;
};

/** Live feeds, over WebSocket (graphql-transport-ws). See PROTOCOL.md. */
export type Subscription = {
  readonly __typename?: 'Subscription';
  /**
   * The live feed of one device: first every change after `after` (if given), then live changes,
   * with no gap and no duplicate. CREATED is sent only to the platforms a notification targets, FALLBACK only
   * to its fallback platforms; every other change of the user's feed reaches every device, so a device can
   * drop a notification that was re-targeted away from it (see PROTOCOL.md).
   */
  readonly notificationChanges: NotificationChange;
};


/** Live feeds, over WebSocket (graphql-transport-ws). See PROTOCOL.md. */
export type SubscriptionNotificationChangesArgs = {
  after?: InputMaybe<Scalars['String']['input']>;
  deviceSubscriptionId: Scalars['ID']['input'];
};

/** Which devices a notification goes to. */
export type TargetPolicy = {
  readonly __typename?: 'TargetPolicy';
  /** The platforms the notification goes to; empty means all. */
  readonly platformTypes: ReadonlyArray<Platform>;
};

/** Which platforms the notification goes to. */
export type TargetPolicyInput = {
  /** Empty or absent: every platform. */
  readonly platformTypes?: InputMaybe<ReadonlyArray<Platform>>;
};

/** The changes updateNotification makes; a field left out stays as it is. */
export type UpdateNotificationInput = {
  /** Null removes it. */
  readonly displayTimeToLive?: InputMaybe<Scalars['Int']['input']>;
  /** At most 30 days ahead; not in the past. */
  readonly expirationDateTime?: InputMaybe<Scalars['DateTime']['input']>;
  /** Null removes the group. */
  readonly groupName?: InputMaybe<Scalars['String']['input']>;
  /** Which of the calling app's notifications (NOT_FOUND for another app's, a deleted or an unknown one). */
  readonly notification: NotificationRef;
  /** Replaces the whole payload. At least one of visualContent and rawContent. */
  readonly payload?: InputMaybe<PayloadInput>;
  /** The new priority. */
  readonly priority?: InputMaybe<Priority>;
};

/** The shared state updateNotificationState sets; give readState, userActionState or both. */
export type UpdateNotificationStateInput = {
  /** Which notification of the calling user's feed, by `{ id }` (NOT_FOUND for one not in it). */
  readonly notification: NotificationRef;
  /** The new read state; absent: unchanged. */
  readonly readState?: InputMaybe<ReadState>;
  /** Required with SNOOZED, in the future; not allowed otherwise. */
  readonly snoozedUntil?: InputMaybe<Scalars['DateTime']['input']>;
  /** The new action state; absent: unchanged. */
  readonly userActionState?: InputMaybe<UserActionState>;
};

/** What createNotification did with the notification. */
export type UpsertOutcome =
  /** It was new for this user: a new notification (the devices get CREATED). */
  | 'CREATED'
  /** The app had already posted this appNotificationId to this user: it replaced that one, state reset to unread (the devices get REPLACED). */
  | 'REPLACED';

/** What the user last did with a notification, on any of their devices (shared state). */
export type UserActionState =
  /** The user opened it (clicked or tapped it). */
  | 'ACTIVATED'
  /** The user dismissed it. */
  | 'DISMISSED'
  /** Nothing yet (every new or replaced notification starts so). */
  | 'NO_INTERACTION'
  /** The user snoozed it until snoozedUntil. */
  | 'SNOOZED';

/** The text a device shows. */
export type VisualContent = {
  readonly __typename?: 'VisualContent';
  /** The text under the title, at most 1,000 characters; null when there is none. */
  readonly body?: Maybe<Scalars['String']['output']>;
  /** The title, 1 to 200 characters. */
  readonly title: Scalars['String']['output'];
};

/** The text a device shows (title and body). */
export type VisualContentInput = {
  /** At most 1,000 characters. */
  readonly body?: InputMaybe<Scalars['String']['input']>;
  /** Required, at most 200 characters. */
  readonly title: Scalars['String']['input'];
};

/** Web Push settings clients need to subscribe a browser. */
export type WebPushInfo = {
  readonly __typename?: 'WebPushInfo';
  /** The gateway's VAPID public key (uncompressed P-256 point, base64url): pass it as applicationServerKey to PushManager.subscribe. */
  readonly applicationServerKey: Scalars['String']['output'];
};



export type ResolverTypeWrapper<T> = Promise<T> | T;


export type ResolverWithResolve<TResult, TParent, TContext, TArgs> = {
  resolve: ResolverFn<TResult, TParent, TContext, TArgs>;
};
export type Resolver<TResult, TParent = Record<PropertyKey, never>, TContext = Record<PropertyKey, never>, TArgs = Record<PropertyKey, never>> = ResolverFn<TResult, TParent, TContext, TArgs> | ResolverWithResolve<TResult, TParent, TContext, TArgs>;

export type ResolverFn<TResult, TParent, TContext, TArgs> = (
  parent: TParent,
  args: TArgs,
  context: TContext,
  info: GraphQLResolveInfo
) => Promise<TResult> | TResult;

export type SubscriptionSubscribeFn<TResult, TParent, TContext, TArgs> = (
  parent: TParent,
  args: TArgs,
  context: TContext,
  info: GraphQLResolveInfo
) => AsyncIterable<TResult> | Promise<AsyncIterable<TResult>>;

export type SubscriptionResolveFn<TResult, TParent, TContext, TArgs> = (
  parent: TParent,
  args: TArgs,
  context: TContext,
  info: GraphQLResolveInfo
) => TResult | Promise<TResult>;

export interface SubscriptionSubscriberObject<TResult, TKey extends string, TParent, TContext, TArgs> {
  subscribe: SubscriptionSubscribeFn<{ [key in TKey]: TResult }, TParent, TContext, TArgs>;
  resolve?: SubscriptionResolveFn<TResult, { [key in TKey]: TResult }, TContext, TArgs>;
}

export interface SubscriptionResolverObject<TResult, TParent, TContext, TArgs> {
  subscribe: SubscriptionSubscribeFn<any, TParent, TContext, TArgs>;
  resolve: SubscriptionResolveFn<TResult, any, TContext, TArgs>;
}

export type SubscriptionObject<TResult, TKey extends string, TParent, TContext, TArgs> =
  | SubscriptionSubscriberObject<TResult, TKey, TParent, TContext, TArgs>
  | SubscriptionResolverObject<TResult, TParent, TContext, TArgs>;

export type SubscriptionResolver<TResult, TKey extends string, TParent = Record<PropertyKey, never>, TContext = Record<PropertyKey, never>, TArgs = Record<PropertyKey, never>> =
  | ((...args: any[]) => SubscriptionObject<TResult, TKey, TParent, TContext, TArgs>)
  | SubscriptionObject<TResult, TKey, TParent, TContext, TArgs>;

export type TypeResolveFn<TTypes, TParent = Record<PropertyKey, never>, TContext = Record<PropertyKey, never>> = (
  parent: TParent,
  context: TContext,
  info: GraphQLResolveInfo
) => Maybe<TTypes> | Promise<Maybe<TTypes>>;

export type IsTypeOfResolverFn<T = Record<PropertyKey, never>, TContext = Record<PropertyKey, never>> = (obj: T, context: TContext, info: GraphQLResolveInfo) => boolean | Promise<boolean>;

export type NextResolverFn<T> = () => Promise<T>;

export type DirectiveResolverFn<TResult = Record<PropertyKey, never>, TParent = Record<PropertyKey, never>, TContext = Record<PropertyKey, never>, TArgs = Record<PropertyKey, never>> = (
  next: NextResolverFn<TResult>,
  parent: TParent,
  args: TArgs,
  context: TContext,
  info: GraphQLResolveInfo
) => TResult | Promise<TResult>;





/** Mapping between all available schema types and the resolvers types */
export type ResolversTypes = {
  AcknowledgeNotificationsInput: AcknowledgeNotificationsInput;
  AcknowledgeNotificationsPayload: ResolverTypeWrapper<AcknowledgeNotificationsPayload>;
  Boolean: ResolverTypeWrapper<Scalars['Boolean']['output']>;
  ChangeKind: ChangeKind;
  CreateDeviceSubscriptionInput: CreateDeviceSubscriptionInput;
  CreateNotificationInput: CreateNotificationInput;
  CreateNotificationPayload: ResolverTypeWrapper<Omit<CreateNotificationPayload, 'notification'> & { notification: ResolversTypes['Notification'] }>;
  DateTime: ResolverTypeWrapper<Scalars['DateTime']['output']>;
  DeleteDeviceSubscriptionInput: DeleteDeviceSubscriptionInput;
  DeleteDeviceSubscriptionPayload: ResolverTypeWrapper<DeleteDeviceSubscriptionPayload>;
  DeleteNotificationGroupInput: DeleteNotificationGroupInput;
  DeleteNotificationGroupPayload: ResolverTypeWrapper<DeleteNotificationGroupPayload>;
  DeleteNotificationInput: DeleteNotificationInput;
  DeleteNotificationPayload: ResolverTypeWrapper<DeleteNotificationPayload>;
  DeviceDelivery: ResolverTypeWrapper<DeviceDelivery>;
  DeviceSubscription: ResolverTypeWrapper<DeviceSubscriptionModel>;
  DeviceSubscriptionConnection: ResolverTypeWrapper<Omit<DeviceSubscriptionConnection, 'edges'> & { edges: ReadonlyArray<ResolversTypes['DeviceSubscriptionEdge']> }>;
  DeviceSubscriptionEdge: ResolverTypeWrapper<Omit<DeviceSubscriptionEdge, 'node'> & { node: ResolversTypes['DeviceSubscription'] }>;
  EndpointFallback: ResolverTypeWrapper<EndpointFallback>;
  EndpointFallbackInput: EndpointFallbackInput;
  FallbackPolicy: ResolverTypeWrapper<FallbackPolicy>;
  FallbackPolicyInput: FallbackPolicyInput;
  Float: ResolverTypeWrapper<Scalars['Float']['output']>;
  ID: ResolverTypeWrapper<Scalars['ID']['output']>;
  Int: ResolverTypeWrapper<Scalars['Int']['output']>;
  MarkAllReadPayload: ResolverTypeWrapper<MarkAllReadPayload>;
  Mutation: ResolverTypeWrapper<Record<PropertyKey, never>>;
  Notification: ResolverTypeWrapper<NotificationModel>;
  NotificationChange: ResolverTypeWrapper<Omit<NotificationChange, 'notification'> & { notification?: Maybe<ResolversTypes['Notification']> }>;
  NotificationConnection: ResolverTypeWrapper<Omit<NotificationConnection, 'edges'> & { edges: ReadonlyArray<ResolversTypes['NotificationEdge']> }>;
  NotificationDelivery: ResolverTypeWrapper<Omit<NotificationDelivery, 'notification'> & { notification: ResolversTypes['Notification'] }>;
  NotificationEdge: ResolverTypeWrapper<Omit<NotificationEdge, 'node'> & { node: ResolversTypes['Notification'] }>;
  NotificationFilter: NotificationFilter;
  NotificationPayload: ResolverTypeWrapper<Omit<NotificationPayload, 'notification'> & { notification: ResolversTypes['Notification'] }>;
  NotificationRef: NotificationRef;
  NotificationStatus: NotificationStatus;
  PageInfo: ResolverTypeWrapper<PageInfo>;
  Payload: ResolverTypeWrapper<Payload>;
  PayloadInput: PayloadInput;
  Platform: Platform;
  Priority: Priority;
  PushSubscriptionInput: PushSubscriptionInput;
  PushSubscriptionKeysInput: PushSubscriptionKeysInput;
  Query: ResolverTypeWrapper<Record<PropertyKey, never>>;
  ReadState: ReadState;
  RenewDeviceSubscriptionInput: RenewDeviceSubscriptionInput;
  SetDevicePushSubscriptionInput: SetDevicePushSubscriptionInput;
  String: ResolverTypeWrapper<Scalars['String']['output']>;
  Subscription: ResolverTypeWrapper<Record<PropertyKey, never>>;
  TargetPolicy: ResolverTypeWrapper<TargetPolicy>;
  TargetPolicyInput: TargetPolicyInput;
  UpdateNotificationInput: UpdateNotificationInput;
  UpdateNotificationStateInput: UpdateNotificationStateInput;
  UpsertOutcome: UpsertOutcome;
  UserActionState: UserActionState;
  VisualContent: ResolverTypeWrapper<VisualContent>;
  VisualContentInput: VisualContentInput;
  WebPushInfo: ResolverTypeWrapper<WebPushInfo>;
};

/** Mapping between all available schema types and the resolvers parents */
export type ResolversParentTypes = {
  AcknowledgeNotificationsInput: AcknowledgeNotificationsInput;
  AcknowledgeNotificationsPayload: AcknowledgeNotificationsPayload;
  Boolean: Scalars['Boolean']['output'];
  CreateDeviceSubscriptionInput: CreateDeviceSubscriptionInput;
  CreateNotificationInput: CreateNotificationInput;
  CreateNotificationPayload: Omit<CreateNotificationPayload, 'notification'> & { notification: ResolversParentTypes['Notification'] };
  DateTime: Scalars['DateTime']['output'];
  DeleteDeviceSubscriptionInput: DeleteDeviceSubscriptionInput;
  DeleteDeviceSubscriptionPayload: DeleteDeviceSubscriptionPayload;
  DeleteNotificationGroupInput: DeleteNotificationGroupInput;
  DeleteNotificationGroupPayload: DeleteNotificationGroupPayload;
  DeleteNotificationInput: DeleteNotificationInput;
  DeleteNotificationPayload: DeleteNotificationPayload;
  DeviceDelivery: DeviceDelivery;
  DeviceSubscription: DeviceSubscriptionModel;
  DeviceSubscriptionConnection: Omit<DeviceSubscriptionConnection, 'edges'> & { edges: ReadonlyArray<ResolversParentTypes['DeviceSubscriptionEdge']> };
  DeviceSubscriptionEdge: Omit<DeviceSubscriptionEdge, 'node'> & { node: ResolversParentTypes['DeviceSubscription'] };
  EndpointFallback: EndpointFallback;
  EndpointFallbackInput: EndpointFallbackInput;
  FallbackPolicy: FallbackPolicy;
  FallbackPolicyInput: FallbackPolicyInput;
  Float: Scalars['Float']['output'];
  ID: Scalars['ID']['output'];
  Int: Scalars['Int']['output'];
  MarkAllReadPayload: MarkAllReadPayload;
  Mutation: Record<PropertyKey, never>;
  Notification: NotificationModel;
  NotificationChange: Omit<NotificationChange, 'notification'> & { notification?: Maybe<ResolversParentTypes['Notification']> };
  NotificationConnection: Omit<NotificationConnection, 'edges'> & { edges: ReadonlyArray<ResolversParentTypes['NotificationEdge']> };
  NotificationDelivery: Omit<NotificationDelivery, 'notification'> & { notification: ResolversParentTypes['Notification'] };
  NotificationEdge: Omit<NotificationEdge, 'node'> & { node: ResolversParentTypes['Notification'] };
  NotificationFilter: NotificationFilter;
  NotificationPayload: Omit<NotificationPayload, 'notification'> & { notification: ResolversParentTypes['Notification'] };
  NotificationRef: NotificationRef;
  PageInfo: PageInfo;
  Payload: Payload;
  PayloadInput: PayloadInput;
  PushSubscriptionInput: PushSubscriptionInput;
  PushSubscriptionKeysInput: PushSubscriptionKeysInput;
  Query: Record<PropertyKey, never>;
  RenewDeviceSubscriptionInput: RenewDeviceSubscriptionInput;
  SetDevicePushSubscriptionInput: SetDevicePushSubscriptionInput;
  String: Scalars['String']['output'];
  Subscription: Record<PropertyKey, never>;
  TargetPolicy: TargetPolicy;
  TargetPolicyInput: TargetPolicyInput;
  UpdateNotificationInput: UpdateNotificationInput;
  UpdateNotificationStateInput: UpdateNotificationStateInput;
  VisualContent: VisualContent;
  VisualContentInput: VisualContentInput;
  WebPushInfo: WebPushInfo;
};

export type AcknowledgeNotificationsPayloadResolvers<ContextType = GatewayContext, ParentType extends ResolversParentTypes['AcknowledgeNotificationsPayload'] = ResolversParentTypes['AcknowledgeNotificationsPayload']> = {
  cursor?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  deviceSubscriptionId?: Resolver<ResolversTypes['ID'], ParentType, ContextType>;
};

export type CreateNotificationPayloadResolvers<ContextType = GatewayContext, ParentType extends ResolversParentTypes['CreateNotificationPayload'] = ResolversParentTypes['CreateNotificationPayload']> = {
  notification?: Resolver<ResolversTypes['Notification'], ParentType, ContextType>;
  outcome?: Resolver<ResolversTypes['UpsertOutcome'], ParentType, ContextType>;
};

export interface DateTimeScalarConfig extends GraphQLScalarTypeConfig<ResolversTypes['DateTime'], any> {
  name: 'DateTime';
}

export type DeleteDeviceSubscriptionPayloadResolvers<ContextType = GatewayContext, ParentType extends ResolversParentTypes['DeleteDeviceSubscriptionPayload'] = ResolversParentTypes['DeleteDeviceSubscriptionPayload']> = {
  deviceSubscriptionId?: Resolver<ResolversTypes['ID'], ParentType, ContextType>;
};

export type DeleteNotificationGroupPayloadResolvers<ContextType = GatewayContext, ParentType extends ResolversParentTypes['DeleteNotificationGroupPayload'] = ResolversParentTypes['DeleteNotificationGroupPayload']> = {
  notificationIds?: Resolver<ReadonlyArray<ResolversTypes['ID']>, ParentType, ContextType>;
};

export type DeleteNotificationPayloadResolvers<ContextType = GatewayContext, ParentType extends ResolversParentTypes['DeleteNotificationPayload'] = ResolversParentTypes['DeleteNotificationPayload']> = {
  notificationId?: Resolver<ResolversTypes['ID'], ParentType, ContextType>;
};

export type DeviceDeliveryResolvers<ContextType = GatewayContext, ParentType extends ResolversParentTypes['DeviceDelivery'] = ResolversParentTypes['DeviceDelivery']> = {
  acknowledgedDateTime?: Resolver<Maybe<ResolversTypes['DateTime']>, ParentType, ContextType>;
  deliveredDateTime?: Resolver<Maybe<ResolversTypes['DateTime']>, ParentType, ContextType>;
  deviceLabel?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  deviceSubscriptionId?: Resolver<ResolversTypes['ID'], ParentType, ContextType>;
  platform?: Resolver<ResolversTypes['Platform'], ParentType, ContextType>;
  pushedDateTime?: Resolver<Maybe<ResolversTypes['DateTime']>, ParentType, ContextType>;
  targeted?: Resolver<ResolversTypes['Boolean'], ParentType, ContextType>;
};

export type DeviceSubscriptionResolvers<ContextType = GatewayContext, ParentType extends ResolversParentTypes['DeviceSubscription'] = ResolversParentTypes['DeviceSubscription']> = {
  createdDateTime?: Resolver<ResolversTypes['DateTime'], ParentType, ContextType>;
  deviceLabel?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  expirationDateTime?: Resolver<ResolversTypes['DateTime'], ParentType, ContextType>;
  id?: Resolver<ResolversTypes['ID'], ParentType, ContextType>;
  platform?: Resolver<ResolversTypes['Platform'], ParentType, ContextType>;
  webPush?: Resolver<ResolversTypes['Boolean'], ParentType, ContextType>;
};

export type DeviceSubscriptionConnectionResolvers<ContextType = GatewayContext, ParentType extends ResolversParentTypes['DeviceSubscriptionConnection'] = ResolversParentTypes['DeviceSubscriptionConnection']> = {
  edges?: Resolver<ReadonlyArray<ResolversTypes['DeviceSubscriptionEdge']>, ParentType, ContextType>;
  pageInfo?: Resolver<ResolversTypes['PageInfo'], ParentType, ContextType>;
};

export type DeviceSubscriptionEdgeResolvers<ContextType = GatewayContext, ParentType extends ResolversParentTypes['DeviceSubscriptionEdge'] = ResolversParentTypes['DeviceSubscriptionEdge']> = {
  cursor?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  node?: Resolver<ResolversTypes['DeviceSubscription'], ParentType, ContextType>;
};

export type EndpointFallbackResolvers<ContextType = GatewayContext, ParentType extends ResolversParentTypes['EndpointFallback'] = ResolversParentTypes['EndpointFallback']> = {
  fallbackDelayInSeconds?: Resolver<ResolversTypes['Int'], ParentType, ContextType>;
  platformTypes?: Resolver<ReadonlyArray<ResolversTypes['Platform']>, ParentType, ContextType>;
  visualContent?: Resolver<ResolversTypes['VisualContent'], ParentType, ContextType>;
};

export type FallbackPolicyResolvers<ContextType = GatewayContext, ParentType extends ResolversParentTypes['FallbackPolicy'] = ResolversParentTypes['FallbackPolicy']> = {
  endpointFallback?: Resolver<ResolversTypes['EndpointFallback'], ParentType, ContextType>;
};

export type MarkAllReadPayloadResolvers<ContextType = GatewayContext, ParentType extends ResolversParentTypes['MarkAllReadPayload'] = ResolversParentTypes['MarkAllReadPayload']> = {
  count?: Resolver<ResolversTypes['Int'], ParentType, ContextType>;
};

export type MutationResolvers<ContextType = GatewayContext, ParentType extends ResolversParentTypes['Mutation'] = ResolversParentTypes['Mutation']> = {
  acknowledgeNotifications?: Resolver<ResolversTypes['AcknowledgeNotificationsPayload'], ParentType, ContextType, RequireFields<MutationAcknowledgeNotificationsArgs, 'input'>>;
  createDeviceSubscription?: Resolver<ResolversTypes['DeviceSubscription'], ParentType, ContextType, RequireFields<MutationCreateDeviceSubscriptionArgs, 'input'>>;
  createNotification?: Resolver<ResolversTypes['CreateNotificationPayload'], ParentType, ContextType, RequireFields<MutationCreateNotificationArgs, 'input'>>;
  deleteDeviceSubscription?: Resolver<ResolversTypes['DeleteDeviceSubscriptionPayload'], ParentType, ContextType, RequireFields<MutationDeleteDeviceSubscriptionArgs, 'input'>>;
  deleteNotification?: Resolver<ResolversTypes['DeleteNotificationPayload'], ParentType, ContextType, RequireFields<MutationDeleteNotificationArgs, 'input'>>;
  deleteNotificationGroup?: Resolver<ResolversTypes['DeleteNotificationGroupPayload'], ParentType, ContextType, RequireFields<MutationDeleteNotificationGroupArgs, 'input'>>;
  markAllRead?: Resolver<ResolversTypes['MarkAllReadPayload'], ParentType, ContextType>;
  renewDeviceSubscription?: Resolver<ResolversTypes['DeviceSubscription'], ParentType, ContextType, RequireFields<MutationRenewDeviceSubscriptionArgs, 'input'>>;
  setDevicePushSubscription?: Resolver<ResolversTypes['DeviceSubscription'], ParentType, ContextType, RequireFields<MutationSetDevicePushSubscriptionArgs, 'input'>>;
  updateNotification?: Resolver<ResolversTypes['NotificationPayload'], ParentType, ContextType, RequireFields<MutationUpdateNotificationArgs, 'input'>>;
  updateNotificationState?: Resolver<ResolversTypes['NotificationPayload'], ParentType, ContextType, RequireFields<MutationUpdateNotificationStateArgs, 'input'>>;
};

export type NotificationResolvers<ContextType = GatewayContext, ParentType extends ResolversParentTypes['Notification'] = ResolversParentTypes['Notification']> = {
  appNotificationId?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  createdDateTime?: Resolver<ResolversTypes['DateTime'], ParentType, ContextType>;
  displayTimeToLive?: Resolver<Maybe<ResolversTypes['Int']>, ParentType, ContextType>;
  expirationDateTime?: Resolver<ResolversTypes['DateTime'], ParentType, ContextType>;
  fallbackPolicy?: Resolver<Maybe<ResolversTypes['FallbackPolicy']>, ParentType, ContextType>;
  groupName?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
  id?: Resolver<ResolversTypes['ID'], ParentType, ContextType>;
  lastModifiedDateTime?: Resolver<ResolversTypes['DateTime'], ParentType, ContextType>;
  payload?: Resolver<ResolversTypes['Payload'], ParentType, ContextType>;
  priority?: Resolver<ResolversTypes['Priority'], ParentType, ContextType>;
  readState?: Resolver<ResolversTypes['ReadState'], ParentType, ContextType>;
  snoozedUntil?: Resolver<Maybe<ResolversTypes['DateTime']>, ParentType, ContextType>;
  status?: Resolver<ResolversTypes['NotificationStatus'], ParentType, ContextType>;
  targetHostName?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  targetPolicy?: Resolver<ResolversTypes['TargetPolicy'], ParentType, ContextType>;
  userActionState?: Resolver<ResolversTypes['UserActionState'], ParentType, ContextType>;
};

export type NotificationChangeResolvers<ContextType = GatewayContext, ParentType extends ResolversParentTypes['NotificationChange'] = ResolversParentTypes['NotificationChange']> = {
  cursor?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  kind?: Resolver<ResolversTypes['ChangeKind'], ParentType, ContextType>;
  notification?: Resolver<Maybe<ResolversTypes['Notification']>, ParentType, ContextType>;
};

export type NotificationConnectionResolvers<ContextType = GatewayContext, ParentType extends ResolversParentTypes['NotificationConnection'] = ResolversParentTypes['NotificationConnection']> = {
  edges?: Resolver<ReadonlyArray<ResolversTypes['NotificationEdge']>, ParentType, ContextType>;
  feedCursor?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
  pageInfo?: Resolver<ResolversTypes['PageInfo'], ParentType, ContextType>;
};

export type NotificationDeliveryResolvers<ContextType = GatewayContext, ParentType extends ResolversParentTypes['NotificationDelivery'] = ResolversParentTypes['NotificationDelivery']> = {
  devices?: Resolver<ReadonlyArray<ResolversTypes['DeviceDelivery']>, ParentType, ContextType>;
  notification?: Resolver<ResolversTypes['Notification'], ParentType, ContextType>;
};

export type NotificationEdgeResolvers<ContextType = GatewayContext, ParentType extends ResolversParentTypes['NotificationEdge'] = ResolversParentTypes['NotificationEdge']> = {
  cursor?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  node?: Resolver<ResolversTypes['Notification'], ParentType, ContextType>;
};

export type NotificationPayloadResolvers<ContextType = GatewayContext, ParentType extends ResolversParentTypes['NotificationPayload'] = ResolversParentTypes['NotificationPayload']> = {
  notification?: Resolver<ResolversTypes['Notification'], ParentType, ContextType>;
};

export type PageInfoResolvers<ContextType = GatewayContext, ParentType extends ResolversParentTypes['PageInfo'] = ResolversParentTypes['PageInfo']> = {
  endCursor?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
  hasNextPage?: Resolver<ResolversTypes['Boolean'], ParentType, ContextType>;
};

export type PayloadResolvers<ContextType = GatewayContext, ParentType extends ResolversParentTypes['Payload'] = ResolversParentTypes['Payload']> = {
  rawContent?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
  visualContent?: Resolver<Maybe<ResolversTypes['VisualContent']>, ParentType, ContextType>;
};

export type QueryResolvers<ContextType = GatewayContext, ParentType extends ResolversParentTypes['Query'] = ResolversParentTypes['Query']> = {
  deviceSubscriptions?: Resolver<ResolversTypes['DeviceSubscriptionConnection'], ParentType, ContextType, RequireFields<QueryDeviceSubscriptionsArgs, 'first'>>;
  notification?: Resolver<Maybe<ResolversTypes['Notification']>, ParentType, ContextType, RequireFields<QueryNotificationArgs, 'notification'>>;
  notificationDelivery?: Resolver<ResolversTypes['NotificationDelivery'], ParentType, ContextType, RequireFields<QueryNotificationDeliveryArgs, 'notification'>>;
  notifications?: Resolver<ResolversTypes['NotificationConnection'], ParentType, ContextType, RequireFields<QueryNotificationsArgs, 'first'>>;
  webPush?: Resolver<Maybe<ResolversTypes['WebPushInfo']>, ParentType, ContextType>;
};

export type SubscriptionResolvers<ContextType = GatewayContext, ParentType extends ResolversParentTypes['Subscription'] = ResolversParentTypes['Subscription']> = {
  notificationChanges?: SubscriptionResolver<ResolversTypes['NotificationChange'], "notificationChanges", ParentType, ContextType, RequireFields<SubscriptionNotificationChangesArgs, 'deviceSubscriptionId'>>;
};

export type TargetPolicyResolvers<ContextType = GatewayContext, ParentType extends ResolversParentTypes['TargetPolicy'] = ResolversParentTypes['TargetPolicy']> = {
  platformTypes?: Resolver<ReadonlyArray<ResolversTypes['Platform']>, ParentType, ContextType>;
};

export type VisualContentResolvers<ContextType = GatewayContext, ParentType extends ResolversParentTypes['VisualContent'] = ResolversParentTypes['VisualContent']> = {
  body?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
  title?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
};

export type WebPushInfoResolvers<ContextType = GatewayContext, ParentType extends ResolversParentTypes['WebPushInfo'] = ResolversParentTypes['WebPushInfo']> = {
  applicationServerKey?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
};

export type Resolvers<ContextType = GatewayContext> = {
  AcknowledgeNotificationsPayload?: AcknowledgeNotificationsPayloadResolvers<ContextType>;
  CreateNotificationPayload?: CreateNotificationPayloadResolvers<ContextType>;
  DateTime?: GraphQLScalarType;
  DeleteDeviceSubscriptionPayload?: DeleteDeviceSubscriptionPayloadResolvers<ContextType>;
  DeleteNotificationGroupPayload?: DeleteNotificationGroupPayloadResolvers<ContextType>;
  DeleteNotificationPayload?: DeleteNotificationPayloadResolvers<ContextType>;
  DeviceDelivery?: DeviceDeliveryResolvers<ContextType>;
  DeviceSubscription?: DeviceSubscriptionResolvers<ContextType>;
  DeviceSubscriptionConnection?: DeviceSubscriptionConnectionResolvers<ContextType>;
  DeviceSubscriptionEdge?: DeviceSubscriptionEdgeResolvers<ContextType>;
  EndpointFallback?: EndpointFallbackResolvers<ContextType>;
  FallbackPolicy?: FallbackPolicyResolvers<ContextType>;
  MarkAllReadPayload?: MarkAllReadPayloadResolvers<ContextType>;
  Mutation?: MutationResolvers<ContextType>;
  Notification?: NotificationResolvers<ContextType>;
  NotificationChange?: NotificationChangeResolvers<ContextType>;
  NotificationConnection?: NotificationConnectionResolvers<ContextType>;
  NotificationDelivery?: NotificationDeliveryResolvers<ContextType>;
  NotificationEdge?: NotificationEdgeResolvers<ContextType>;
  NotificationPayload?: NotificationPayloadResolvers<ContextType>;
  PageInfo?: PageInfoResolvers<ContextType>;
  Payload?: PayloadResolvers<ContextType>;
  Query?: QueryResolvers<ContextType>;
  Subscription?: SubscriptionResolvers<ContextType>;
  TargetPolicy?: TargetPolicyResolvers<ContextType>;
  VisualContent?: VisualContentResolvers<ContextType>;
  WebPushInfo?: WebPushInfoResolvers<ContextType>;
};

