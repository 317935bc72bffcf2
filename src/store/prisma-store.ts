import { randomUUID } from 'node:crypto';
import { ErrorCode, GatewayError, notFound } from '../errors.js';
import type { PrismaClient } from './generated/sqlite/client.js';
import { createGroupCommit } from './group-commit.js';
import { writePosts } from './post-notifications.js';
import { editColumns, toDeviceSubscription, toNotification } from './records.js';
import { isTargeted } from './targeting.js';
import type {
  Change,
  ChangeKind,
  DeliveryMarkKind,
  FeedOwner,
  Notification,
  NotificationEdit,
  NotificationMatch,
  Platform,
  PostRequest,
  Store,
} from './types.js';
import { isStoreUnavailable } from './unavailable.js';

// Enough to share one commit among everything that piles up behind a slow fsync; small enough that one
// batch's statements stay short.
const MAX_POSTS_PER_COMMIT = 100;
const APP_CACHE_MS = 60_000;
const MAX_CACHED_APPS = 10_000;

/**
 * A Prisma client of our models. Both providers' generated clients have this shape (their models are
 * the same, a test keeps the schemas in sync), so the store is written once against the SQLite one's types.
 */
export type Client = InstanceType<typeof PrismaClient>;
type Transaction = Parameters<Parameters<Client['$transaction']>[0]>[0];
type NotificationRow = Awaited<ReturnType<Client['notification']['findFirstOrThrow']>>;
type AppRow = Awaited<ReturnType<Client['app']['findFirstOrThrow']>>;

const feedKey = (owner: FeedOwner) => ({
  appId_issuer_subject: { appId: owner.appId, issuer: owner.issuer, subject: owner.subject },
});

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

/** Groups rows by feed, keeping order. */
function byFeed<T extends { feedId: string }>(rows: readonly T[]): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const row of rows) groups.set(row.feedId, [...(groups.get(row.feedId) ?? []), row]);
  return groups;
}

/**
 * The store on any Prisma client of our models. Writes go through interactive transactions on `writer`;
 * reads go to `reader` (which may be the same client where the database isolates them, as PostgreSQL
 * does; SQLite needs a second connection, see sqlite-store.ts).
 *
 * Every write that changes a feed first locks the feed's row (its offset counter): concurrent writers
 * of one feed then run one after the other, on SQLite and PostgreSQL alike, so offsets are gap-free and
 * a read inside the transaction sees the latest committed state.
 */
export function createPrismaStore(writer: Client, reader: Client, provider: 'sqlite' | 'postgres'): Store {
  const write = <T>(work: (tx: Transaction) => Promise<T>): Promise<T> => writer.$transaction(work);
  // Every post reads its app (host name); apps change only by registration, so a read serves a minute.
  const apps = new Map<string, { app: AppRow; until: number }>();
  const postInGroups = createGroupCommit(
    (requests: readonly PostRequest[]) => write((tx) => writePosts(tx, requests, provider)),
    {
      maxBatch: MAX_POSTS_PER_COMMIT,
      // SQLite has one writer anyway. On PostgreSQL a batch may wait on a feed another process holds:
      // a few batches at once keep that from stalling every other feed's posts.
      inFlight: provider === 'postgres' ? 4 : 1,
      failsEveryRequest: isStoreUnavailable,
    },
  );

  /** Locks the feed's row until the transaction ends, and returns it. */
  const lockFeed = (tx: Transaction, feedId: string) =>
    tx.feed.update({ where: { id: feedId }, data: { lastOffset: { increment: 0 } } });

  /**
   * Appends changes to the feed's log in one offset allocation (call after `lockFeed`), and returns
   * their positions in order.
   */
  async function appendChanges(
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

  const changeOf = (
    position: { epoch: string; offset: number },
    kind: ChangeKind,
    row: NotificationRow,
  ): Change => ({
    feedId: row.feedId,
    ...position,
    kind,
    notification: toNotification(row),
  });

  async function editNotificationsIn(
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

  return {
    createApp: (app) =>
      write((tx) => tx.app.create({ data: app, omit: { secretHash: true } })).catch((error: unknown) => {
        // The unique index on the host name decides races that a check before the insert would miss.
        if ((error as { code?: unknown }).code === 'P2002') {
          throw new GatewayError(
            ErrorCode.Conflict,
            `An app with host name ${app.targetHostName} is already registered.`,
          );
        }
        throw error;
      }),
    async findApp(id, options) {
      const known = apps.get(id);
      if (known && known.until > Date.now() && !options?.fresh) return known.app;
      const app = await reader.app.findUnique({ where: { id } });
      // Only apps that exist are remembered: one registered a moment ago (by the CLI) is found at once.
      if (app) {
        if (apps.size >= MAX_CACHED_APPS) apps.clear();
        apps.set(id, { app, until: Date.now() + APP_CACHE_MS });
      }
      return app;
    },
    listApps: () => reader.app.findMany({ orderBy: { createdAt: 'asc' }, omit: { secretHash: true } }),
    async setAppSecretHash(id, secretHash) {
      const { count } = await write((tx) =>
        tx.app.updateMany({ where: { id, tokenIssuer: null }, data: { secretHash } }),
      );
      apps.delete(id);
      return count === 1;
    },

    createDeviceSubscription: (input) => {
      const create = () =>
        write(async (tx) => {
          const feed = await tx.feed.upsert({
            where: feedKey(input.owner),
            create: { id: randomUUID(), ...input.owner, epoch: randomUUID() },
            update: {},
          });
          // Counted under the feed's lock: of two creates at once, the second counts the first's device.
          await lockFeed(tx, feed.id);
          const live = await tx.deviceSubscription.count({
            where: { feedId: feed.id, expirationDateTime: { gt: input.now } },
          });
          if (live >= input.maxDevices) {
            throw new GatewayError(
              ErrorCode.LimitExceeded,
              `At most ${input.maxDevices} live device subscriptions per user and app: delete one first.`,
            );
          }
          const row = await tx.deviceSubscription.create({
            data: {
              id: input.id,
              feedId: feed.id,
              platform: input.platform,
              deviceLabel: input.deviceLabel,
              expirationDateTime: input.expirationDateTime,
              createdDateTime: input.now,
            },
            include: { feed: true },
          });
          return toDeviceSubscription(row);
        });
      // A user's first devices created at once (PostgreSQL): both upserts may try to insert the feed,
      // and the loser hits its unique key. The feed exists then: the second attempt finds it. (The
      // device's own id is 144 random bits, so a unique violation here is the feed's.)
      return create().catch((error: unknown) => {
        if ((error as { code?: unknown })?.code === 'P2002') return create();
        throw error;
      });
    },
    async findDeviceSubscription(id) {
      const row = await reader.deviceSubscription.findUnique({ where: { id }, include: { feed: true } });
      return row && toDeviceSubscription(row);
    },
    async listDeviceSubscriptions(owner, page) {
      const after = page.after;
      const rows = await reader.deviceSubscription.findMany({
        where: {
          feed: owner,
          expirationDateTime: { gt: page.now },
          ...(after
            ? {
                OR: [
                  { createdDateTime: { gt: after.createdDateTime } },
                  { createdDateTime: after.createdDateTime, id: { gt: after.id } },
                ],
              }
            : {}),
        },
        include: { feed: true },
        orderBy: [{ createdDateTime: 'asc' }, { id: 'asc' }],
        take: page.first + 1,
      });
      return {
        devices: rows.slice(0, page.first).map(toDeviceSubscription),
        hasNextPage: rows.length > page.first,
      };
    },
    renewDeviceSubscription: (id, expirationDateTime) =>
      write(async (tx) => {
        const { count } = await tx.deviceSubscription.updateMany({
          where: { id },
          data: { expirationDateTime },
        });
        if (count === 0) throw notFound('Device subscription');
        const row = await tx.deviceSubscription.findUniqueOrThrow({ where: { id }, include: { feed: true } });
        return toDeviceSubscription(row);
      }),
    deleteDeviceSubscription: (id) =>
      write(async (tx) => {
        const { count } = await tx.deviceSubscription.deleteMany({ where: { id } });
        if (count === 0) throw notFound('Device subscription');
      }),

    async findFeedId(owner) {
      const feed = await reader.feed.findUnique({ where: feedKey(owner), select: { id: true } });
      return feed?.id ?? null;
    },
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
      const feed = await reader.feed.findUnique({
        where: { id: feedId },
        select: { epoch: true, lastOffset: true, purgedThrough: true },
      });
      if (!feed) throw notFound('Feed');
      return { epoch: feed.epoch, offset: feed.lastOffset, purgedThrough: feed.purgedThrough };
    },
    async readChanges(feedId, afterOffset, limit) {
      const rows = await reader.change.findMany({
        where: { feedId, offset: { gt: afterOffset } },
        orderBy: { offset: 'asc' },
        take: limit,
        include: { notification: true, feed: { select: { epoch: true } } },
      });
      return rows.map((row) =>
        changeOf({ epoch: row.feed.epoch, offset: row.offset }, row.kind as ChangeKind, row.notification),
      );
    },

    recordDeliveryMarks: (marks, kind) =>
      write(async (tx) => {
        // A device may have been deleted since it received: its marks have nowhere to go.
        const live = new Set(
          (
            await tx.deviceSubscription.findMany({
              where: { id: { in: marks.map((mark) => mark.deviceSubscriptionId) } },
              select: { id: true },
            })
          ).map((row) => row.id),
        );
        const kept = marks.filter((mark) => live.has(mark.deviceSubscriptionId));
        if (kept.length === 0) return;
        await tx.deliveryMark.createMany({ data: kept.map((mark) => ({ ...mark, kind })) });
        if (kind === 'ACKNOWLEDGED') {
          for (const mark of kept) {
            await tx.deviceSubscription.updateMany({
              where: { id: mark.deviceSubscriptionId, ackedOffset: { lt: mark.offset } },
              data: { ackedOffset: mark.offset },
            });
          }
        }
      }),
    async deliveryOf(notification, now) {
      const live = { feedId: notification.feedId, expirationDateTime: { gt: now } };
      const devices = await reader.deviceSubscription.findMany({
        where: live,
        include: { feed: true },
        orderBy: [{ createdDateTime: 'asc' }, { id: 'asc' }],
      });
      // When each device first had a mark whose stretch covers the notification's position. The devices
      // are named by a join, not by a list of ids: a user may have more devices than a query takes
      // parameters (999 on SQLite).
      const firsts = await reader.deliveryMark.groupBy({
        by: ['deviceSubscriptionId', 'kind'],
        where: {
          deviceSubscription: live,
          fromOffset: { lt: notification.feedPosition },
          offset: { gte: notification.feedPosition },
        },
        _min: { at: true },
      });
      const firstAt = new Map(firsts.map((row) => [`${row.kind} ${row.deviceSubscriptionId}`, row._min.at]));
      const first = (id: string, kind: DeliveryMarkKind) => firstAt.get(`${kind} ${id}`) ?? null;
      return devices.map((device) => {
        // A device its target policy leaves out never gets it, whatever position its feed reaches.
        const targeted = isTargeted(notification, device.platform as Platform);
        return {
          deviceSubscription: toDeviceSubscription(device),
          targeted,
          deliveredDateTime: targeted
            ? (first(device.id, 'DELIVERED') ?? first(device.id, 'ACKNOWLEDGED'))
            : null,
          acknowledgedDateTime: targeted ? first(device.id, 'ACKNOWLEDGED') : null,
        };
      });
    },

    findExpiredNotifications: (now, limit) =>
      reader.notification.findMany({
        where: { status: 'ACTIVE', expirationDateTime: { lte: now } },
        select: { id: true, feedId: true },
        take: limit,
      }),
    async runDueFallbacks(now, limit) {
      const due = await reader.notification.findMany({
        where: { fallbackDueAt: { lte: now } },
        select: { id: true },
        take: limit,
      });
      const changes: Change[] = [];
      for (const { id } of due) {
        const change = await write(async (tx): Promise<Change | null> => {
          // Lock the feed first, then decide on the row as it is now: a replacement committed meanwhile
          // may have rescheduled (or removed) the fallback.
          const owner = await tx.notification.findUnique({ where: { id }, select: { feedId: true } });
          if (!owner) return null;
          await lockFeed(tx, owner.feedId);
          const row = await tx.notification.findUnique({ where: { id } });
          if (!row?.fallbackDueAt || row.fallbackDueAt > now) return null;
          const notification = toNotification(row);
          const policy = notification.fallbackPolicy;
          const applies =
            policy &&
            notification.status === 'ACTIVE' &&
            notification.priority === 'HIGH' &&
            notification.rawContent !== null;
          const acknowledged =
            applies &&
            (await tx.deviceSubscription.count({
              where: {
                feedId: row.feedId,
                platform: { in: [...policy.platformTypes] },
                ackedOffset: { gte: row.feedPosition },
              },
            })) > 0;
          if (!applies || acknowledged) {
            await tx.notification.update({ where: { id }, data: { fallbackDueAt: null } });
            return null;
          }
          const [position] = await appendChanges(
            tx,
            row.feedId,
            [{ kind: 'FALLBACK', notificationId: id }],
            now,
          );
          const updated = await tx.notification.update({
            where: { id },
            data: { fallbackDueAt: null, fallbackSentAt: now },
          });
          return position ? changeOf(position, 'FALLBACK', updated) : null;
        });
        if (change) changes.push(change);
      }
      return changes;
    },
    async purge(now, cutoff, limit) {
      let purged = 0;
      const oldChanges = await reader.change.findMany({
        where: { createdAt: { lt: cutoff } },
        select: { feedId: true, offset: true },
        orderBy: { createdAt: 'asc' },
        take: limit,
      });
      for (const [feedId, rows] of byFeed(oldChanges)) {
        // A feed's log is in time order, so everything up to its newest old entry is old too.
        const through = Math.max(...rows.map((row) => row.offset));
        purged += await write(async (tx) => {
          const { count } = await tx.change.deleteMany({ where: { feedId, offset: { lte: through } } });
          await tx.feed.updateMany({
            where: { id: feedId, purgedThrough: { lt: through } },
            data: { purgedThrough: through },
          });
          return count;
        });
      }
      const oldMarks = await reader.deliveryMark.findMany({
        where: { at: { lt: cutoff } },
        select: { id: true },
        take: limit,
      });
      // Tombstones go once expired, quiet since the cutoff, and with no log entry left to replay.
      const tombstones = await reader.notification.findMany({
        where: {
          status: 'DELETED',
          expirationDateTime: { lte: now },
          lastModifiedDateTime: { lt: cutoff },
          changes: { none: {} },
        },
        select: { id: true },
        take: limit,
      });
      // Device subscriptions expired before the cutoff: NOT_FOUND to every operation since they expired,
      // kept as long as their delivery marks would be. (Their marks go with them.)
      const oldDevices = await reader.deviceSubscription.findMany({
        where: { expirationDateTime: { lt: cutoff } },
        select: { id: true },
        take: limit,
      });
      purged += await write(async (tx) => {
        const devices = await tx.deviceSubscription.deleteMany({
          where: { id: { in: oldDevices.map((d) => d.id) }, expirationDateTime: { lt: cutoff } },
        });
        const marks = await tx.deliveryMark.deleteMany({ where: { id: { in: oldMarks.map((m) => m.id) } } });
        const notifications = await tx.notification.deleteMany({
          // The conditions again: a replacement may have revived one since it was selected.
          where: {
            id: { in: tombstones.map((t) => t.id) },
            status: 'DELETED',
            expirationDateTime: { lte: now },
            lastModifiedDateTime: { lt: cutoff },
            changes: { none: {} },
          },
        });
        return devices.count + marks.count + notifications.count;
      });
      return purged;
    },

    async ping() {
      await reader.$queryRawUnsafe('SELECT 1');
    },
    async close() {
      await Promise.all([writer.$disconnect(), reader.$disconnect()]);
    },
  };
}
