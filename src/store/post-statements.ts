import type { ChangeKind, FeedOwner } from '../domain/types.js';
import type { NotificationRow } from './prisma-client.js';

/** What deciding whether a post may use a UNSID reads of it (and of its feed). */
export interface DeviceOwner {
  readonly id: string;
  readonly feedId: string;
  readonly expirationDateTime: Date;
  readonly appId: string;
  readonly issuer: string;
  readonly subject: string;
}

/** The columns a replace sets: everything but the notification's identity and creation time. */
export type ReplaceColumns = Omit<NotificationRow, 'id' | 'feedId' | 'appId' | 'createdDateTime'>;

/** One entry of a feed's log. */
export interface ChangeRow {
  readonly feedId: string;
  readonly offset: number;
  readonly kind: ChangeKind;
  readonly notificationId: string;
  readonly createdAt: Date;
}

/**
 * The statements a batch of posts runs, inside one transaction (post-notifications.ts decides what to
 * write; this is how): through Prisma's raw queries, or straight on the driver beneath Prisma's adapter
 * (sqlite-post-writer.ts on its connection, postgres-post-writer.ts on its pool), as the stores do.
 * Each call is one statement.
 */
export interface PostStatements {
  /** The UNSIDs that exist, with their feed's owner. */
  devices(unsids: readonly string[]): Promise<DeviceOwner[]>;
  /** The feeds of these owners that exist. */
  feeds(owners: readonly FeedOwner[]): Promise<Array<FeedOwner & { id: string }>>;
  /** Inserts these feeds, skipping any whose owner has a feed by then (another transaction's included). */
  insertFeedsIfMissing(rows: ReadonlyArray<FeedOwner & { id: string; epoch: string }>): Promise<void>;
  /** Locks the feeds and advances each one's offset by its count; answers their new last offsets. */
  advanceFeeds(
    counts: ReadonlyMap<string, number>,
  ): Promise<Array<{ id: string; lastOffset: number | bigint; epoch: string; appId: string }>>;
  /** The notifications that exist with these keys. */
  existingKeys(
    keys: ReadonlyArray<{ feedId: string; appNotificationId: string }>,
  ): Promise<Array<{ id: string; feedId: string; appNotificationId: string }>>;
  insertNotifications(rows: readonly NotificationRow[]): Promise<void>;
  /** Replaces a notification's columns; answers the whole row. */
  replaceNotification(id: string, data: ReplaceColumns): Promise<NotificationRow>;
  insertChanges(rows: readonly ChangeRow[]): Promise<void>;
}
