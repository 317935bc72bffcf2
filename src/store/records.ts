// Mapping between Prisma rows and domain types: the only place that knows how columns encode fields.

import type {
  ContentPatch,
  DeviceSubscription,
  EndpointFallback,
  Notification,
  NotificationContent,
  NotificationStatus,
  Platform,
  Priority,
  ReadState,
  UserActionState,
} from '../domain/types.js';
import type {
  DeviceSubscription as DeviceSubscriptionRow,
  Feed as FeedRow,
  Notification as NotificationRow,
} from './generated/sqlite/client.js';

// A device's live feed keeps its platform for as long as its socket is open: the one constant string of
// each platform, rather than a copy read from each row.
const PLATFORMS: ReadonlyMap<string, Platform> = new Map(
  (['WINDOWS', 'ANDROID', 'IOS', 'WEB'] as const).map((platform) => [platform, platform]),
);

export function toDeviceSubscription(row: DeviceSubscriptionRow & { feed: FeedRow }): DeviceSubscription {
  return {
    id: row.id,
    feedId: row.feedId,
    owner: { appId: row.feed.appId, issuer: row.feed.issuer, subject: row.feed.subject },
    platform: PLATFORMS.get(row.platform) ?? (row.platform as Platform),
    deviceLabel: row.deviceLabel,
    expirationDateTime: row.expirationDateTime,
    createdDateTime: row.createdDateTime,
    webPush: row.pushEndpoint !== null,
    feedHead: { epoch: row.feed.epoch, offset: row.feed.lastOffset, purgedThrough: row.feed.purgedThrough },
  };
}

export function toNotification(row: NotificationRow): Notification {
  return {
    id: row.id,
    feedId: row.feedId,
    appId: row.appId,
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

/**
 * The columns a post writes, create or replace: its content, the fresh state (FRESH_STATE), its position
 * in the feed and its times. One object literal, never a spread followed by more fields: on Node 20's V8
 * each field added after a spread makes a new hidden class (about 1.5 µs each, garbage for the
 * collector), and the spread of the content and state with 4 more fields cost ≈ 12 µs a post.
 */
export function postedColumns(
  content: NotificationContent,
  feedPosition: number,
  now: Date,
  fallbackDueAt: Date | null,
): Omit<NotificationRow, 'id' | 'feedId' | 'appId' | 'createdDateTime'> {
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
    readState: FRESH_STATE.readState,
    userActionState: FRESH_STATE.userActionState,
    snoozedUntil: FRESH_STATE.snoozedUntil,
    status: FRESH_STATE.status,
    feedPosition,
    lastModifiedDateTime: now,
    fallbackDueAt,
    fallbackSentAt: null,
  };
}

/** The columns an edit sets; fields it leaves undefined stay as they are. */
export function editColumns(
  set: ContentPatch &
    Partial<Pick<Notification, 'readState' | 'userActionState' | 'snoozedUntil' | 'status'>>,
) {
  const columns: Record<string, unknown> = {};
  if (set.visualContent !== undefined) {
    columns.visualTitle = set.visualContent?.title ?? null;
    columns.visualBody = set.visualContent?.body ?? null;
  }
  for (const key of [
    'rawContent',
    'priority',
    'groupName',
    'displayTimeToLive',
    'expirationDateTime',
    'readState',
    'userActionState',
    'snoozedUntil',
    'status',
  ] as const) {
    if (set[key] !== undefined) columns[key] = set[key];
  }
  return columns;
}

/** The state every device starts from when a notification is created or replaced. */
export const FRESH_STATE = {
  readState: 'UNREAD',
  userActionState: 'NO_INTERACTION',
  snoozedUntil: null,
  status: 'ACTIVE',
} as const satisfies Pick<Notification, 'readState' | 'userActionState' | 'snoozedUntil' | 'status'>;

/**
 * A DateTime column in a scalar subquery or an aggregate, as a raw query returns it: Prisma has no column
 * type for it, so it comes back as the driver holds it (a Date from node-postgres; SQLite's stored text or
 * epoch number). Milliseconds since the epoch, or null for no row. Throws on a value that is no time.
 */
export function timeOf(value: unknown): number | null {
  if (value === null || value === undefined) return null;
  const time =
    value instanceof Date
      ? value.getTime()
      : typeof value === 'number' || typeof value === 'bigint'
        ? Number(value)
        : new Date(String(value)).getTime();
  if (Number.isNaN(time)) throw new Error(`unreadable time from the store: ${String(value)}`);
  return time;
}
