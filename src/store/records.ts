// Mapping between Prisma rows and domain types: the only place that knows how columns encode fields.
import type {
  DeviceSubscription as DeviceSubscriptionRow,
  Feed as FeedRow,
  Notification as NotificationRow,
} from './generated/sqlite/client.js';
import type {
  DeviceSubscription,
  EndpointFallback,
  Notification,
  NotificationContent,
  NotificationStatus,
  Platform,
  Priority,
  ReadState,
  UserActionState,
} from './types.js';

export function toDeviceSubscription(row: DeviceSubscriptionRow & { feed: FeedRow }): DeviceSubscription {
  return {
    id: row.id,
    feedId: row.feedId,
    owner: { appId: row.feed.appId, issuer: row.feed.issuer, subject: row.feed.subject },
    platform: row.platform as Platform,
    deviceLabel: row.deviceLabel,
    expirationDateTime: row.expirationDateTime,
    createdDateTime: row.createdDateTime,
  };
}

export function toNotification(row: NotificationRow): Notification {
  return {
    id: row.id,
    feedId: row.feedId,
    feedPosition: row.feedPosition,
    appNotificationId: row.appNotificationId,
    targetHostName: row.targetHostName,
    priority: row.priority as Priority,
    groupName: row.groupName,
    visualContent: row.visualTitle === null ? null : { title: row.visualTitle, body: row.visualBody },
    rawContent: row.rawContent,
    platformTypes: JSON.parse(row.platformTypes) as Platform[],
    displayTimeToLive: row.displayTimeToLive,
    expirationDateTime: row.expirationDateTime,
    fallbackPolicy: row.fallbackPolicy === null ? null : (JSON.parse(row.fallbackPolicy) as EndpointFallback),
    readState: row.readState as ReadState,
    userActionState: row.userActionState as UserActionState,
    snoozedUntil: row.snoozedUntil,
    status: row.status as NotificationStatus,
    createdDateTime: row.createdDateTime,
    lastModifiedDateTime: row.lastModifiedDateTime,
  };
}

/** The content columns of a notification row, as written by a create or a replace. */
export function contentColumns(content: NotificationContent) {
  return {
    appNotificationId: content.appNotificationId,
    targetHostName: content.targetHostName,
    priority: content.priority,
    groupName: content.groupName,
    visualTitle: content.visualContent?.title ?? null,
    visualBody: content.visualContent?.body ?? null,
    rawContent: content.rawContent,
    platformTypes: JSON.stringify(content.platformTypes),
    displayTimeToLive: content.displayTimeToLive,
    expirationDateTime: content.expirationDateTime,
    fallbackPolicy: content.fallbackPolicy === null ? null : JSON.stringify(content.fallbackPolicy),
  };
}

/** The state every device starts from when a notification is created or replaced. */
export const FRESH_STATE = {
  readState: 'UNREAD',
  userActionState: 'NO_INTERACTION',
  snoozedUntil: null,
  status: 'ACTIVE',
} as const satisfies Pick<Notification, 'readState' | 'userActionState' | 'snoozedUntil' | 'status'>;
