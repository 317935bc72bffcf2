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

export type AcknowledgePayload = {
  readonly __typename?: 'AcknowledgePayload';
  /** The cursor acknowledged: every change up to it counts as received by this device. */
  readonly cursor: Scalars['String']['output'];
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

export type CreateDeviceSubscriptionInput = {
  /** A name the user recognises, e.g. "Alice's phone". At most 100 characters. */
  readonly deviceLabel: Scalars['String']['input'];
  /** Defaults to now + 30 days; at most 90 days ahead. */
  readonly expirationDateTime?: InputMaybe<Scalars['DateTime']['input']>;
  readonly platform: Platform;
  /** WEB devices only: the browser's push subscription, so the device gets Web Push while its app is closed. */
  readonly pushSubscription?: InputMaybe<PushSubscriptionInput>;
};

export type CreateNotificationInput = {
  /** Your key for this notification. Posting the same one again for the same user replaces it. At most 200 characters. */
  readonly appNotificationId: Scalars['String']['input'];
  /**
   * The UNSID of one of the target user's devices. The notification goes to all of that user's devices that match targetPolicy.
   * Required with an app token. With a user's delegated token (on-behalf-of) the target is that user; a UNSID, if given, must be theirs.
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
  readonly payload: PayloadInput;
  readonly priority?: InputMaybe<Priority>;
  /** Your app's registered host name. */
  readonly targetHostName: Scalars['String']['input'];
  readonly targetPolicy?: InputMaybe<TargetPolicyInput>;
};

export type CreateNotificationPayload = {
  readonly __typename?: 'CreateNotificationPayload';
  readonly notification: Notification;
  /** Whether a new notification was created or one with the same appNotificationId was replaced. */
  readonly outcome: UpsertOutcome;
};

export type DeleteDeviceSubscriptionPayload = {
  readonly __typename?: 'DeleteDeviceSubscriptionPayload';
  readonly id: Scalars['ID']['output'];
};

export type DeleteNotificationGroupPayload = {
  readonly __typename?: 'DeleteNotificationGroupPayload';
  /** The ids of the notifications deleted; empty when the group had none. */
  readonly ids: ReadonlyArray<Scalars['ID']['output']>;
};

export type DeleteNotificationPayload = {
  readonly __typename?: 'DeleteNotificationPayload';
  readonly id: Scalars['ID']['output'];
};

export type DeviceDelivery = {
  readonly __typename?: 'DeviceDelivery';
  /** When the device acknowledged it (acknowledgeNotifications); null if not yet. */
  readonly acknowledgedDateTime?: Maybe<Scalars['DateTime']['output']>;
  /**
   * When the device's live feed first reached or passed it (or the device acknowledged it); null if not
   * yet, and always null for a device the targetPolicy leaves out.
   */
  readonly deliveredDateTime?: Maybe<Scalars['DateTime']['output']>;
  readonly deviceLabel: Scalars['String']['output'];
  readonly deviceSubscriptionId: Scalars['ID']['output'];
  readonly platform: Platform;
  /** When a Web Push of it was accepted (201) by the device's push service; null if none was. */
  readonly pushedDateTime?: Maybe<Scalars['DateTime']['output']>;
  /** Whether the notification's targetPolicy includes this device's platform. */
  readonly targeted: Scalars['Boolean']['output'];
};

/** One device of a user running one app (Graph: user notification subscription). Its id is the UNSID. */
export type DeviceSubscription = {
  readonly __typename?: 'DeviceSubscription';
  readonly createdDateTime: Scalars['DateTime']['output'];
  readonly deviceLabel: Scalars['String']['output'];
  readonly expirationDateTime: Scalars['DateTime']['output'];
  /** The UNSID: opaque and unguessable. Hand it to your app service so it can target this user. */
  readonly id: Scalars['ID']['output'];
  readonly platform: Platform;
  /** True when it holds a Web Push subscription (WEB devices; see setDevicePushSubscription). The endpoint is never returned. */
  readonly webPush: Scalars['Boolean']['output'];
};

export type DeviceSubscriptionConnection = {
  readonly __typename?: 'DeviceSubscriptionConnection';
  readonly edges: ReadonlyArray<DeviceSubscriptionEdge>;
  readonly pageInfo: PageInfo;
};

export type DeviceSubscriptionEdge = {
  readonly __typename?: 'DeviceSubscriptionEdge';
  readonly cursor: Scalars['String']['output'];
  readonly node: DeviceSubscription;
};

export type EndpointFallback = {
  readonly __typename?: 'EndpointFallback';
  readonly fallbackDelayInSeconds: Scalars['Int']['output'];
  readonly platformTypes: ReadonlyArray<Platform>;
  readonly visualContent: VisualContent;
};

export type EndpointFallbackInput = {
  /** 60 to 600. */
  readonly fallbackDelayInSeconds: Scalars['Int']['input'];
  readonly platformTypes: ReadonlyArray<Platform>;
  readonly visualContent: VisualContentInput;
};

export type FallbackPolicy = {
  readonly __typename?: 'FallbackPolicy';
  readonly endpointFallback: EndpointFallback;
};

export type FallbackPolicyInput = {
  readonly endpointFallback: EndpointFallbackInput;
};

export type MarkAllReadPayload = {
  readonly __typename?: 'MarkAllReadPayload';
  /** How many notifications changed from UNREAD to READ. */
  readonly count: Scalars['Int']['output'];
};

export type Mutation = {
  readonly __typename?: 'Mutation';
  /** Records that the device received every change up to the cursor `upTo` (from notificationChanges). */
  readonly acknowledgeNotifications: AcknowledgePayload;
  /**
   * Registers the calling user's device for the app their token was issued to. Returns the UNSID.
   * LIMIT_EXCEEDED, creating nothing, when the user already has TIDINGS_MAX_DEVICES_PER_USER live devices
   * in the app (default 100; expired ones do not count).
   */
  readonly createDeviceSubscription: DeviceSubscription;
  /** Posts a notification to the user behind a UNSID (app token with Notifications.ReadWrite.CreatedByApp). */
  readonly createNotification: CreateNotificationPayload;
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
   * delivered a few hundred at a time. Answers once all are committed.
   */
  readonly markAllRead: MarkAllReadPayload;
  /** Extends a device subscription. expirationDateTime defaults to now + 30 days; at most 90 days ahead. */
  readonly renewDeviceSubscription: DeviceSubscription;
  /**
   * Sets or replaces (or, with null, removes) the push subscription of one of the calling user's WEB
   * devices. BAD_USER_INPUT for a bad endpoint or keys, or a device that is not WEB; NOT_FOUND for a device
   * that is not the caller's.
   */
  readonly setDevicePushSubscription: DeviceSubscription;
  /** Changes the content, priority or expiry of one of the calling app's notifications. State is kept. */
  readonly updateNotification: NotificationPayload;
  /** Changes the shared state of one notification of the user's feed; every other device sees it. */
  readonly updateNotificationState: NotificationPayload;
};


export type MutationAcknowledgeNotificationsArgs = {
  subscriptionId: Scalars['ID']['input'];
  upTo: Scalars['String']['input'];
};


export type MutationCreateDeviceSubscriptionArgs = {
  input: CreateDeviceSubscriptionInput;
};


export type MutationCreateNotificationArgs = {
  input: CreateNotificationInput;
};


export type MutationDeleteDeviceSubscriptionArgs = {
  id: Scalars['ID']['input'];
};


export type MutationDeleteNotificationArgs = {
  notification: NotificationRef;
};


export type MutationDeleteNotificationGroupArgs = {
  deviceSubscriptionId?: InputMaybe<Scalars['ID']['input']>;
  groupName: Scalars['String']['input'];
};


export type MutationRenewDeviceSubscriptionArgs = {
  expirationDateTime?: InputMaybe<Scalars['DateTime']['input']>;
  id: Scalars['ID']['input'];
};


export type MutationSetDevicePushSubscriptionArgs = {
  input: SetDevicePushSubscriptionInput;
};


export type MutationUpdateNotificationArgs = {
  input: UpdateNotificationInput;
};


export type MutationUpdateNotificationStateArgs = {
  input: UpdateNotificationStateInput;
};

export type Notification = {
  readonly __typename?: 'Notification';
  readonly appNotificationId: Scalars['String']['output'];
  readonly createdDateTime: Scalars['DateTime']['output'];
  /** Seconds the notification stays on screen. */
  readonly displayTimeToLive?: Maybe<Scalars['Int']['output']>;
  readonly expirationDateTime: Scalars['DateTime']['output'];
  readonly fallbackPolicy?: Maybe<FallbackPolicy>;
  readonly groupName?: Maybe<Scalars['String']['output']>;
  readonly id: Scalars['ID']['output'];
  readonly lastModifiedDateTime: Scalars['DateTime']['output'];
  readonly payload: Payload;
  readonly priority: Priority;
  readonly readState: ReadState;
  readonly snoozedUntil?: Maybe<Scalars['DateTime']['output']>;
  readonly status: NotificationStatus;
  readonly targetHostName: Scalars['String']['output'];
  readonly targetPolicy: TargetPolicy;
  readonly userActionState: UserActionState;
};

export type NotificationChange = {
  readonly __typename?: 'NotificationChange';
  /** Store it; resume with notificationChanges(after: cursor) to get every change after this one. */
  readonly cursor: Scalars['String']['output'];
  readonly kind: ChangeKind;
  /**
   * The notification as it is now (after this change; on replay, as it is at replay time). Apply it as an
   * upsert by id; status DELETED means remove it. Null for RESYNC.
   */
  readonly notification?: Maybe<Notification>;
};

export type NotificationConnection = {
  readonly __typename?: 'NotificationConnection';
  readonly edges: ReadonlyArray<NotificationEdge>;
  /**
   * The feed's position when this page was read. Subscribe with notificationChanges(after: feedCursor)
   * to get every change made since, with nothing missed. Null before the user's first device subscription.
   */
  readonly feedCursor?: Maybe<Scalars['String']['output']>;
  readonly pageInfo: PageInfo;
};

export type NotificationDelivery = {
  readonly __typename?: 'NotificationDelivery';
  /** Every live (unexpired) device subscription of the notification's user in the app, oldest first. */
  readonly devices: ReadonlyArray<DeviceDelivery>;
  readonly notification: Notification;
};

export type NotificationEdge = {
  readonly __typename?: 'NotificationEdge';
  readonly cursor: Scalars['String']['output'];
  readonly node: Notification;
};

export type NotificationFilter = {
  readonly groupName?: InputMaybe<Scalars['String']['input']>;
  readonly readState?: InputMaybe<ReadState>;
};

export type NotificationPayload = {
  readonly __typename?: 'NotificationPayload';
  readonly notification: Notification;
};

/**
 * Which notification: by `id` (user or app), or by `deviceSubscriptionId` + `appNotificationId` (app: the
 * user behind that UNSID and the app's own key).
 */
export type NotificationRef = {
  readonly appNotificationId?: InputMaybe<Scalars['String']['input']>;
  readonly deviceSubscriptionId?: InputMaybe<Scalars['ID']['input']>;
  readonly id?: InputMaybe<Scalars['ID']['input']>;
};

export type NotificationStatus =
  | 'ACTIVE'
  | 'DELETED';

export type PageInfo = {
  readonly __typename?: 'PageInfo';
  readonly endCursor?: Maybe<Scalars['String']['output']>;
  readonly hasNextPage: Scalars['Boolean']['output'];
};

export type Payload = {
  readonly __typename?: 'Payload';
  readonly rawContent?: Maybe<Scalars['String']['output']>;
  readonly visualContent?: Maybe<VisualContent>;
};

export type PayloadInput = {
  /** Handed to the app on the device as it is. At most 4,096 bytes. */
  readonly rawContent?: InputMaybe<Scalars['String']['input']>;
  /** Shown by the device. At least one of visualContent and rawContent is required. */
  readonly visualContent?: InputMaybe<VisualContentInput>;
};

export type Platform =
  | 'ANDROID'
  | 'IOS'
  | 'WEB'
  | 'WINDOWS';

export type Priority =
  | 'HIGH'
  | 'LOW'
  | 'NONE';

/** A browser's push subscription, as PushSubscription.toJSON() gives it (expirationTime is accepted and ignored). */
export type PushSubscriptionInput = {
  /** The push service's URL for this browser: https: only. Treated as a secret: never returned nor logged. */
  readonly endpoint: Scalars['String']['input'];
  /** As toJSON() returns it (usually null); ignored. */
  readonly expirationTime?: InputMaybe<Scalars['Float']['input']>;
  readonly keys: PushSubscriptionKeysInput;
};

export type PushSubscriptionKeysInput = {
  /** base64url, 16 bytes. */
  readonly auth: Scalars['String']['input'];
  /** base64url, a 65-byte uncompressed P-256 point. */
  readonly p256dh: Scalars['String']['input'];
};

export type Query = {
  readonly __typename?: 'Query';
  /**
   * The calling user's live (unexpired) devices for the app their token was issued to, oldest first,
   * `first` (1 to 100) a page; pass `pageInfo.endCursor` as `after` for the next page.
   */
  readonly deviceSubscriptions: DeviceSubscriptionConnection;
  /** One notification of the caller's feed (user) or of the caller's own (app). NOT_FOUND otherwise. */
  readonly notification?: Maybe<Notification>;
  /**
   * Per-device delivery and acknowledgement of one of the calling app's notifications, by `id` or by
   * `deviceSubscriptionId` + `appNotificationId`.
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


export type QueryDeviceSubscriptionsArgs = {
  after?: InputMaybe<Scalars['String']['input']>;
  first?: InputMaybe<Scalars['Int']['input']>;
};


export type QueryNotificationArgs = {
  id: Scalars['ID']['input'];
};


export type QueryNotificationDeliveryArgs = {
  appNotificationId?: InputMaybe<Scalars['String']['input']>;
  deviceSubscriptionId?: InputMaybe<Scalars['ID']['input']>;
  id?: InputMaybe<Scalars['ID']['input']>;
};


export type QueryNotificationsArgs = {
  after?: InputMaybe<Scalars['String']['input']>;
  deviceSubscriptionId?: InputMaybe<Scalars['ID']['input']>;
  filter?: InputMaybe<NotificationFilter>;
  first?: InputMaybe<Scalars['Int']['input']>;
};

export type ReadState =
  | 'READ'
  | 'UNREAD';

export type SetDevicePushSubscriptionInput = {
  readonly deviceSubscriptionId: Scalars['ID']['input'];
  /** The new push subscription (browsers rotate them); null removes it. */
  readonly pushSubscription?: InputMaybe<PushSubscriptionInput>;
};

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


export type SubscriptionNotificationChangesArgs = {
  after?: InputMaybe<Scalars['String']['input']>;
  subscriptionId: Scalars['ID']['input'];
};

export type TargetPolicy = {
  readonly __typename?: 'TargetPolicy';
  /** The platforms the notification goes to; empty means all. */
  readonly platformTypes: ReadonlyArray<Platform>;
};

export type TargetPolicyInput = {
  /** Empty or absent: every platform. */
  readonly platformTypes?: InputMaybe<ReadonlyArray<Platform>>;
};

export type UpdateNotificationInput = {
  /** Null removes it. */
  readonly displayTimeToLive?: InputMaybe<Scalars['Int']['input']>;
  /** At most 30 days ahead; not in the past. */
  readonly expirationDateTime?: InputMaybe<Scalars['DateTime']['input']>;
  /** Null removes the group. */
  readonly groupName?: InputMaybe<Scalars['String']['input']>;
  readonly notification: NotificationRef;
  /** Replaces the whole payload. At least one of visualContent and rawContent. */
  readonly payload?: InputMaybe<PayloadInput>;
  readonly priority?: InputMaybe<Priority>;
};

export type UpdateNotificationStateInput = {
  readonly id: Scalars['ID']['input'];
  readonly readState?: InputMaybe<ReadState>;
  /** Required with SNOOZED, in the future; not allowed otherwise. */
  readonly snoozedUntil?: InputMaybe<Scalars['DateTime']['input']>;
  readonly userActionState?: InputMaybe<UserActionState>;
};

export type UpsertOutcome =
  | 'CREATED'
  | 'REPLACED';

export type UserActionState =
  | 'ACTIVATED'
  | 'DISMISSED'
  | 'NO_INTERACTION'
  | 'SNOOZED';

export type VisualContent = {
  readonly __typename?: 'VisualContent';
  readonly body?: Maybe<Scalars['String']['output']>;
  readonly title: Scalars['String']['output'];
};

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
  AcknowledgePayload: ResolverTypeWrapper<AcknowledgePayload>;
  Boolean: ResolverTypeWrapper<Scalars['Boolean']['output']>;
  ChangeKind: ChangeKind;
  CreateDeviceSubscriptionInput: CreateDeviceSubscriptionInput;
  CreateNotificationInput: CreateNotificationInput;
  CreateNotificationPayload: ResolverTypeWrapper<Omit<CreateNotificationPayload, 'notification'> & { notification: ResolversTypes['Notification'] }>;
  DateTime: ResolverTypeWrapper<Scalars['DateTime']['output']>;
  DeleteDeviceSubscriptionPayload: ResolverTypeWrapper<DeleteDeviceSubscriptionPayload>;
  DeleteNotificationGroupPayload: ResolverTypeWrapper<DeleteNotificationGroupPayload>;
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
  AcknowledgePayload: AcknowledgePayload;
  Boolean: Scalars['Boolean']['output'];
  CreateDeviceSubscriptionInput: CreateDeviceSubscriptionInput;
  CreateNotificationInput: CreateNotificationInput;
  CreateNotificationPayload: Omit<CreateNotificationPayload, 'notification'> & { notification: ResolversParentTypes['Notification'] };
  DateTime: Scalars['DateTime']['output'];
  DeleteDeviceSubscriptionPayload: DeleteDeviceSubscriptionPayload;
  DeleteNotificationGroupPayload: DeleteNotificationGroupPayload;
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

export type AcknowledgePayloadResolvers<ContextType = GatewayContext, ParentType extends ResolversParentTypes['AcknowledgePayload'] = ResolversParentTypes['AcknowledgePayload']> = {
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
  id?: Resolver<ResolversTypes['ID'], ParentType, ContextType>;
};

export type DeleteNotificationGroupPayloadResolvers<ContextType = GatewayContext, ParentType extends ResolversParentTypes['DeleteNotificationGroupPayload'] = ResolversParentTypes['DeleteNotificationGroupPayload']> = {
  ids?: Resolver<ReadonlyArray<ResolversTypes['ID']>, ParentType, ContextType>;
};

export type DeleteNotificationPayloadResolvers<ContextType = GatewayContext, ParentType extends ResolversParentTypes['DeleteNotificationPayload'] = ResolversParentTypes['DeleteNotificationPayload']> = {
  id?: Resolver<ResolversTypes['ID'], ParentType, ContextType>;
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
  acknowledgeNotifications?: Resolver<ResolversTypes['AcknowledgePayload'], ParentType, ContextType, RequireFields<MutationAcknowledgeNotificationsArgs, 'subscriptionId' | 'upTo'>>;
  createDeviceSubscription?: Resolver<ResolversTypes['DeviceSubscription'], ParentType, ContextType, RequireFields<MutationCreateDeviceSubscriptionArgs, 'input'>>;
  createNotification?: Resolver<ResolversTypes['CreateNotificationPayload'], ParentType, ContextType, RequireFields<MutationCreateNotificationArgs, 'input'>>;
  deleteDeviceSubscription?: Resolver<ResolversTypes['DeleteDeviceSubscriptionPayload'], ParentType, ContextType, RequireFields<MutationDeleteDeviceSubscriptionArgs, 'id'>>;
  deleteNotification?: Resolver<ResolversTypes['DeleteNotificationPayload'], ParentType, ContextType, RequireFields<MutationDeleteNotificationArgs, 'notification'>>;
  deleteNotificationGroup?: Resolver<ResolversTypes['DeleteNotificationGroupPayload'], ParentType, ContextType, RequireFields<MutationDeleteNotificationGroupArgs, 'groupName'>>;
  markAllRead?: Resolver<ResolversTypes['MarkAllReadPayload'], ParentType, ContextType>;
  renewDeviceSubscription?: Resolver<ResolversTypes['DeviceSubscription'], ParentType, ContextType, RequireFields<MutationRenewDeviceSubscriptionArgs, 'id'>>;
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
  notification?: Resolver<Maybe<ResolversTypes['Notification']>, ParentType, ContextType, RequireFields<QueryNotificationArgs, 'id'>>;
  notificationDelivery?: Resolver<ResolversTypes['NotificationDelivery'], ParentType, ContextType, Partial<QueryNotificationDeliveryArgs>>;
  notifications?: Resolver<ResolversTypes['NotificationConnection'], ParentType, ContextType, RequireFields<QueryNotificationsArgs, 'first'>>;
  webPush?: Resolver<Maybe<ResolversTypes['WebPushInfo']>, ParentType, ContextType>;
};

export type SubscriptionResolvers<ContextType = GatewayContext, ParentType extends ResolversParentTypes['Subscription'] = ResolversParentTypes['Subscription']> = {
  notificationChanges?: SubscriptionResolver<ResolversTypes['NotificationChange'], "notificationChanges", ParentType, ContextType, RequireFields<SubscriptionNotificationChangesArgs, 'subscriptionId'>>;
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
  AcknowledgePayload?: AcknowledgePayloadResolvers<ContextType>;
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

