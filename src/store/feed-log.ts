import type { Change, ChangeKind, Notification } from '../domain/types.js';
import { notFound } from '../errors.js';
import { Prisma } from './generated/sqlite/client.js';
import { createGroupCommit } from './group-commit.js';
import { writePosts } from './post-notifications.js';
import { changeOf, type Database, type NotificationRow, type Transaction } from './prisma-client.js';
import { prismaPostStatements } from './prisma-post-statements.js';
import { createReadBatch } from './read-batch.js';
import { editColumns, toNotification } from './records.js';
import type { NotificationEdit, NotificationMatch, PostRequest, Store } from './types.js';
import { isStoreUnavailable } from './unavailable.js';

/** A device's feed head as the join of deviceFeedHead returns it (PostgreSQL's driver may give bigints). */
interface DeviceHeadRow {
  id: string;
  epoch: string;
  lastOffset: number | bigint;
  purgedThrough: number | bigint;
}

// Enough to share one commit among everything that piles up behind a slow fsync; small enough that one
// batch's statements stay short.
const MAX_POSTS_PER_COMMIT = 100;

/**
 * Batches of posts written at once on PostgreSQL. SQLite has one writer anyway. On PostgreSQL a batch may
 * wait on a feed another process holds: a few batches at once keep that from stalling every other feed's
 * posts. (The pool keeps a connection open for each: postgres-pool.ts.)
 */
export const POSTGRES_POST_BATCHES_IN_FLIGHT = 4;

const matchWhere = (match: NotificationMatch) => ({
  ...(match.ids ? { id: { in: [...match.ids] } } : {}),
  ...(match.positionAfter === undefined && match.positionThrough === undefined
    ? {}
    : {
        feedPosition: {
          gt: match.positionAfter ?? -1,
          lte: match.positionThrough ?? Number.MAX_SAFE_INTEGER,
        },
      }),
  ...(match.appNotificationIds ? { appNotificationId: { in: [...match.appNotificationIds] } } : {}),
  ...(match.groupName === undefined ? {} : { groupName: match.groupName }),
  ...(match.readState === undefined ? {} : { readState: match.readState }),
  ...(match.status === undefined ? {} : { status: match.status }),
});

/** Locks the feed's row until the transaction ends, and returns it. */
export const lockFeed = (tx: Transaction, feedId: string) =>
  tx.feed.update({ where: { id: feedId }, data: { lastOffset: { increment: 0 } } });

/**
 * Appends changes to the feed's log in one offset allocation (call after `lockFeed`), and returns
 * their positions in order.
 */
export async function appendChanges(
  tx: Transaction,
  feedId: string,
  entries: ReadonlyArray<{ kind: ChangeKind; notificationId: string }>,
  now: Date,
): Promise<Array<{ epoch: string; offset: number }>> {
  const feed = await tx.feed.update({
    where: { id: feedId },
    data: { lastOffset: { increment: entries.length } },
  });
  const first = feed.lastOffset - entries.length + 1;
  await tx.change.createMany({
    data: entries.map((entry, i) => ({ feedId, offset: first + i, ...entry, createdAt: now })),
  });
  return entries.map((_, i) => ({ epoch: feed.epoch, offset: first + i }));
}

/**
 * Applies `edit` to each notification of the feed that matches, and logs a change for each one it returns
 * an edit for, in the caller's transaction. The feed is locked first, so `edit` sees every notification
 * as it is now and offsets stay gap-free.
 */
export async function editNotificationsIn(
  tx: Transaction,
  feedId: string,
  match: NotificationMatch,
  edit: (notification: Notification) => NotificationEdit | null,
  now: Date,
  limit?: number,
): Promise<Change[]> {
  await lockFeed(tx, feedId);
  const rows = await tx.notification.findMany({
    where: { feedId, ...matchWhere(match) },
    orderBy: { feedPosition: 'asc' },
    ...(limit === undefined ? {} : { take: limit }),
  });
  const edits = rows.flatMap((row) => {
    const chosen = edit(toNotification(row));
    return chosen ? [{ row, edit: chosen }] : [];
  });
  if (edits.length === 0) return [];
  const positions = await appendChanges(
    tx,
    feedId,
    edits.map(({ row, edit }) => ({ kind: edit.kind, notificationId: row.id })),
    now,
  );
  // Rows that get the same columns are updated by one statement (markAllRead: one per chunk), then read
  // back at once; a row edited alone is updated and returned by one.
  const updated = new Map<string, NotificationRow>();
  const sameEdit = new Map<string, { data: Record<string, unknown>; ids: string[] }>();
  for (const { row, edit } of edits) {
    const data = { ...editColumns(edit.set), lastModifiedDateTime: now };
    const key = JSON.stringify(data);
    const group = sameEdit.get(key);
    if (group) group.ids.push(row.id);
    else sameEdit.set(key, { data, ids: [row.id] });
  }
  const readBack: string[] = [];
  for (const { data, ids } of sameEdit.values()) {
    const [only] = ids;
    if (ids.length === 1 && only !== undefined) {
      updated.set(only, await tx.notification.update({ where: { id: only }, data }));
    } else {
      await tx.notification.updateMany({ where: { id: { in: ids } }, data });
      readBack.push(...ids);
    }
  }
  if (readBack.length > 0) {
    for (const row of await tx.notification.findMany({ where: { id: { in: readBack } } })) {
      updated.set(row.id, row);
    }
  }
  return edits.map(({ row, edit }, i) =>
    changeOf(
      positions[i] as { epoch: string; offset: number },
      edit.kind,
      updated.get(row.id) as NotificationRow,
    ),
  );
}

/**
 * A user's feed: its notifications and the log of every change to them. Every write that changes a
 * feed first locks the feed's row (its offset counter): concurrent writers of one feed then run one
 * after the other, on SQLite and PostgreSQL alike, so offsets are gap-free and a read inside the
 * transaction sees the latest committed state.
 */
export function createFeedLog(
  db: Database,
): Pick<
  Store,
  | 'postNotification'
  | 'listNotifications'
  | 'findNotification'
  | 'findNotificationByAppId'
  | 'findNotificationById'
  | 'editNotifications'
  | 'feedHead'
  | 'deviceFeedHead'
  | 'readChanges'
> {
  const { write, reader, provider } = db;
  // A live feed that starts at the head it was given reads the head again once it listens: the feeds
  // starting on one turn (a reconnect storm's) read theirs together, one query for all (read-batch.ts).
  const headsById = createReadBatch(async (ids: readonly string[]) => {
    const feeds = await reader.feed.findMany({
      where: { id: { in: [...ids] } },
      select: { id: true, epoch: true, lastOffset: true, purgedThrough: true },
    });
    return new Map(
      feeds.map((feed) => [
        feed.id,
        { epoch: feed.epoch, offset: feed.lastOffset, purgedThrough: feed.purgedThrough },
      ]),
    );
  }, null);
  // A live feed reads its device's feed head once it listens (see feed-stream.ts begin): a device deleted
  // before then has no row, and its feed ends. One statement for the whole batch: a join, where Prisma's
  // `include` reads the feeds with a second one.
  const deviceHeadsById = createReadBatch(async (ids: readonly string[]) => {
    const rows = await reader.$queryRaw<DeviceHeadRow[]>`
      SELECT d."id", f."epoch", f."lastOffset", f."purgedThrough"
      FROM "DeviceSubscription" d JOIN "Feed" f ON f."id" = d."feedId"
      WHERE d."id" IN (${Prisma.join(ids)})`;
    return new Map(
      rows.map((row) => [
        row.id,
        { epoch: row.epoch, offset: Number(row.lastOffset), purgedThrough: Number(row.purgedThrough) },
      ]),
    );
  }, null);
  const postInGroups = createGroupCommit(
    db.direct?.writePosts ??
      ((requests: readonly PostRequest[]) =>
        write((tx) => writePosts(prismaPostStatements(tx, provider), requests))),
    {
      maxBatch: MAX_POSTS_PER_COMMIT,
      inFlight: provider === 'postgres' ? POSTGRES_POST_BATCHES_IN_FLIGHT : 1,
      failsEveryRequest: isStoreUnavailable,
    },
  );
  return {
    postNotification: postInGroups,
    async listNotifications(feedId, query) {
      // One read transaction: the page and the head come from the same snapshot, so a client that
      // resumes its live feed from this head misses nothing committed after the page was read.
      const [feed, rows] = await reader.$transaction([
        reader.feed.findUniqueOrThrow({ where: { id: feedId }, select: { epoch: true, lastOffset: true } }),
        reader.notification.findMany({
          where: {
            feedId,
            status: 'ACTIVE',
            ...(query.beforePosition === null ? {} : { feedPosition: { lt: query.beforePosition } }),
            ...(query.readState === null ? {} : { readState: query.readState }),
            ...(query.groupName === null ? {} : { groupName: query.groupName }),
          },
          orderBy: { feedPosition: 'desc' },
          take: query.first + 1,
        }),
      ]);
      return {
        notifications: rows.slice(0, query.first).map(toNotification),
        hasNextPage: rows.length > query.first,
        head: { epoch: feed.epoch, offset: feed.lastOffset },
      };
    },
    async findNotification(feedId, id) {
      const row = await reader.notification.findFirst({ where: { id, feedId } });
      return row && toNotification(row);
    },
    async findNotificationByAppId(feedId, appNotificationId) {
      const row = await reader.notification.findUnique({
        where: { feedId_appNotificationId: { feedId, appNotificationId } },
      });
      return row && toNotification(row);
    },
    async findNotificationById(id) {
      const row = await reader.notification.findUnique({ where: { id } });
      return row && toNotification(row);
    },
    editNotifications: (feedId, match, edit, now, limit) =>
      write((tx) => editNotificationsIn(tx, feedId, match, edit, now, limit)),
    async feedHead(feedId) {
      const head = await headsById(feedId);
      if (!head) throw notFound('Feed');
      return head;
    },
    deviceFeedHead: deviceHeadsById,
    async readChanges(feedId, afterOffset, limit, whileDeviceExists) {
      const rows = await reader.change.findMany({
        where: {
          feedId,
          offset: { gt: afterOffset },
          // In the statement that reads the changes (Prisma reads the included rows with others after it).
          ...(whileDeviceExists === undefined
            ? {}
            : { feed: { deviceSubscriptions: { some: { id: whileDeviceExists } } } }),
        },
        orderBy: { offset: 'asc' },
        take: limit,
        include: { notification: true, feed: { select: { epoch: true } } },
      });
      return rows.map((row) =>
        changeOf({ epoch: row.feed.epoch, offset: row.offset }, row.kind as ChangeKind, row.notification),
      );
    },
  };
}
