import { fallbackIsDue } from '../domain/fallback.js';
import type { Change, Platform } from '../domain/types.js';
import { appendChanges, lockFeed } from './feed-log.js';
import { Prisma } from './generated/sqlite/client.js';
import { byFeed, changeOf, type Database } from './prisma-client.js';
import { timeOf, toNotification } from './records.js';
import type { Store } from './types.js';

/**
 * What the sweeper does: expiry, due endpoint fallbacks, and purging what retention no longer keeps.
 * Its searches, which run every few seconds on an idle gateway too and mostly find nothing, are fixed
 * SQL: through the model API Prisma compiled each of them anew on every pass.
 */
export function createMaintenanceStore(
  db: Database,
): Pick<Store, 'sweepIsDue' | 'nextSweepDue' | 'findExpiredNotifications' | 'runDueFallbacks' | 'purge'> {
  const { write, reader, provider } = db;
  return {
    async sweepIsDue(now, cutoff) {
      // Each search of a pass below, as an existence test (same conditions).
      const [row] = await reader.$queryRaw<Array<{ due: number | bigint }>>`
        SELECT CASE WHEN
          EXISTS (SELECT 1 FROM "Notification" WHERE "status" = 'ACTIVE' AND "expirationDateTime" <= ${now})
          OR EXISTS (SELECT 1 FROM "Notification" WHERE "fallbackDueAt" <= ${now})
          OR EXISTS (SELECT 1 FROM "Change" WHERE "createdAt" < ${cutoff})
          OR EXISTS (SELECT 1 FROM "DeliveryMark" WHERE "at" < ${cutoff})
          OR EXISTS (SELECT 1 FROM "DeviceSubscription" WHERE "expirationDateTime" < ${cutoff})
          OR EXISTS (
            SELECT 1 FROM "Notification"
            WHERE "status" = 'DELETED' AND "expirationDateTime" <= ${now} AND "lastModifiedDateTime" < ${cutoff}
              AND NOT EXISTS (SELECT 1 FROM "Change" WHERE "Change"."notificationId" = "Notification"."id"))
        THEN 1 ELSE 0 END AS "due"`;
      return Number(row?.due) === 1;
    },
    async nextSweepDue(retentionMs, now) {
      // Each the first row of an index that leads with the column (after `status` where it is fixed):
      // Notification's (status, expirationDateTime) and (fallbackDueAt: pending ones only, a partial
      // index this search's IS NOT NULL matches), Change's (createdAt),
      // DeliveryMark's (at), DeviceSubscription's (expirationDateTime). ORDER BY … LIMIT 1 rather than
      // MIN: PostgreSQL's planner may otherwise aggregate over every ACTIVE notification's index entry.
      const [row] = await reader.$queryRaw<Array<Record<SweepTerm, unknown>>>`
        SELECT
          (SELECT "expirationDateTime" FROM "Notification" WHERE "status" = 'ACTIVE'
            ORDER BY "expirationDateTime" LIMIT 1) AS "expiry",
          (SELECT "fallbackDueAt" FROM "Notification" WHERE "fallbackDueAt" IS NOT NULL
            ORDER BY "fallbackDueAt" LIMIT 1) AS "fallback",
          (SELECT "createdAt" FROM "Change" ORDER BY "createdAt" LIMIT 1) AS "change",
          (SELECT "at" FROM "DeliveryMark" ORDER BY "at" LIMIT 1) AS "mark",
          (SELECT "expirationDateTime" FROM "DeviceSubscription" ORDER BY "expirationDateTime" LIMIT 1) AS "device",
          (SELECT "expirationDateTime" FROM "Notification" WHERE "status" = 'DELETED' AND "expirationDateTime" > ${now}
            ORDER BY "expirationDateTime" LIMIT 1) AS "tombstone"`;
      if (!row) return null;
      const times = [
        timeOf(row.expiry),
        timeOf(row.fallback),
        timeOf(row.tombstone),
        // Purged once older than the retention cut-off: that much later.
        ...[row.change, row.mark, row.device].map((value) => {
          const time = timeOf(value);
          return time === null ? null : time + retentionMs;
        }),
      ].filter((time): time is number => time !== null);
      return times.length === 0 ? null : new Date(Math.min(...times));
    },
    findExpiredNotifications: (now, limit) =>
      reader.$queryRaw<Array<{ id: string; feedId: string }>>`
        SELECT "id", "feedId" FROM "Notification"
        WHERE "status" = 'ACTIVE' AND "expirationDateTime" <= ${now} LIMIT ${limit}`,
    async runDueFallbacks(now, limit) {
      const due = await reader.$queryRaw<Array<{ id: string }>>`
        SELECT "id" FROM "Notification" WHERE "fallbackDueAt" <= ${now} LIMIT ${limit}`;
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
          const devices = await tx.deviceSubscription.findMany({
            where: { feedId: row.feedId },
            select: { platform: true, ackedOffset: true },
          });
          const notification = toNotification(row);
          if (!fallbackIsDue(notification, devices as Array<{ platform: Platform; ackedOffset: number }>)) {
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
      const oldChanges = await reader.$queryRaw<Array<{ feedId: string; offset: number }>>`
        SELECT "feedId", "offset" FROM "Change" WHERE "createdAt" < ${cutoff}
        ORDER BY "createdAt" LIMIT ${limit}`;
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
      // Tombstones go once expired, quiet since the cutoff, and with no log entry left to replay.
      const tombstones = await reader.$queryRaw<Array<{ id: string; feedId: string }>>`
        SELECT "id", "feedId" FROM "Notification"
        WHERE "status" = 'DELETED' AND "expirationDateTime" <= ${now} AND "lastModifiedDateTime" < ${cutoff}
          AND NOT EXISTS (SELECT 1 FROM "Change" WHERE "Change"."notificationId" = "Notification"."id")
        LIMIT ${limit}`;
      // Device subscriptions expired before the cutoff, oldest first: NOT_FOUND to every operation since
      // they expired, kept as long as their delivery marks would be, and deleted after those (below).
      const oldDevices = await reader.$queryRaw<Array<{ id: string }>>`
        SELECT "id" FROM "DeviceSubscription" WHERE "expirationDateTime" < ${cutoff}
        ORDER BY "expirationDateTime" LIMIT ${limit}`;
      // Delivery marks older than the cutoff, then those devices' younger ones (a live feed that outlived
      // its device's expiry still marked what it sent), `limit` in all.
      const oldMarks = await reader.$queryRaw<Array<{ id: number }>>`
        SELECT "id" FROM "DeliveryMark" WHERE "at" < ${cutoff} LIMIT ${limit}`;
      if (oldMarks.length < limit && oldDevices.length > 0) {
        const devices = Prisma.join(oldDevices.map((d) => d.id));
        oldMarks.push(
          ...(await reader.$queryRaw<Array<{ id: number }>>`
            SELECT "id" FROM "DeliveryMark" WHERE "deviceSubscriptionId" IN (${devices}) AND "at" >= ${cutoff}
            LIMIT ${limit - oldMarks.length}`),
        );
      }
      purged += await write(async (tx) => {
        // PostgreSQL: the tombstones' feeds first, in one statement and in the order posts lock them. A post
        // holding its feed may have read a tombstone's key and be about to replace it (revive it): deleted
        // under that post, the replace would find its row gone and fail; after it, the conditions below see
        // it revived. (SQLite has one writer at a time: no post is under way during this transaction.)
        if (provider === 'postgres' && tombstones.length > 0) {
          const feeds = Prisma.join([...new Set(tombstones.map((t) => t.feedId))]);
          await tx.$queryRaw`SELECT "id" FROM "Feed" WHERE "id" IN (${feeds}) ORDER BY "id" FOR UPDATE`;
        }
        const marks = await tx.deliveryMark.deleteMany({ where: { id: { in: oldMarks.map((m) => m.id) } } });
        // Only devices whose marks and pushes are gone already (the marks above, `limit` at a time; the
        // pushes with their log entries, which are older than the device's expiry): a cascade would delete
        // a device's whole history in one statement, unbounded after a retention was shortened or a long
        // stop, holding the writer (and SQLite's statement journal, in memory) for all of it.
        const devices = await tx.deviceSubscription.deleteMany({
          where: {
            id: { in: oldDevices.map((d) => d.id) },
            expirationDateTime: { lt: cutoff },
            marks: { none: {} },
            pushes: { none: {} },
          },
        });
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
  };
}

type SweepTerm = 'expiry' | 'fallback' | 'change' | 'mark' | 'device' | 'tombstone';
