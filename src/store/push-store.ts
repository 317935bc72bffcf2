import type { ChangeKind, Platform } from '../domain/types.js';
import { notFound } from '../errors.js';
import { pushColumns } from './device-store.js';
import { Prisma } from './generated/sqlite/client.js';
import type { Database } from './prisma-client.js';
import { timeOf, toDeviceSubscription, toNotification } from './records.js';
import type { ClaimedPush, Store } from './types.js';

/** The changes a device would show, and so the only ones pushed. */
const PUSHED_KINDS: readonly ChangeKind[] = ['CREATED', 'REPLACED', 'FALLBACK'];

interface DueRow {
  deviceSubscriptionId: string;
  platform: string;
  pushEndpoint: string;
  pushP256dh: string;
  pushAuth: string;
  feedId: string;
  epoch: string;
  offset: number | bigint;
  kind: string;
  notificationId: string;
}

/** Notifications a close list names at most (PROTOCOL.md "Shared state"). */
export const MAX_CLOSE_IDS = 20;
/** How far back pushes are looked at for a close list: an OS notification older than that is left alone. */
const CLOSE_LOOKBACK_MS = 7 * 24 * 3600 * 1000;

/**
 * For each device, the newest MAX_CLOSE_IDS notifications a push showed on it that the user has since
 * read, dismissed or deleted (or that expired): a push to it closes them first, since browsers let no
 * push close a notification silently. One query for every device of a round.
 */
async function closeListsOf(
  reader: Database['reader'],
  devices: readonly string[],
  now: Date,
): Promise<Map<string, string[]>> {
  const rows = await reader.$queryRaw<Array<{ deviceSubscriptionId: string; notificationId: string }>>`
    SELECT "deviceSubscriptionId", "notificationId" FROM (
      SELECT p."deviceSubscriptionId", c."notificationId",
             ROW_NUMBER() OVER (PARTITION BY p."deviceSubscriptionId" ORDER BY MAX(p."offset") DESC) AS "rank"
      FROM "Push" p
      JOIN "Change" c ON c."feedId" = p."feedId" AND c."offset" = p."offset"
      JOIN "Notification" n ON n."id" = c."notificationId"
      WHERE p."deviceSubscriptionId" IN (${Prisma.join(devices)})
        AND p."status" = 'PUSHED' AND p."pushedAt" > ${new Date(now.getTime() - CLOSE_LOOKBACK_MS)}
        AND (n."readState" = 'READ' OR n."userActionState" = 'DISMISSED' OR n."status" = 'DELETED'
          OR n."expirationDateTime" <= ${now})
      GROUP BY p."deviceSubscriptionId", c."notificationId"
    ) ranked
    WHERE "rank" <= ${MAX_CLOSE_IDS}`;
  const lists = new Map<string, string[]>();
  for (const row of rows) {
    lists.set(row.deviceSubscriptionId, [...(lists.get(row.deviceSubscriptionId) ?? []), row.notificationId]);
  }
  return lists;
}

/** The rows a push is made of: a change, its notification and feed, and each device of the feed. */
const PUSHABLE = Prisma.sql`
  FROM "Change" c
  JOIN "Notification" n ON n."id" = c."notificationId"
  JOIN "Feed" f ON f."id" = c."feedId"
  JOIN "DeviceSubscription" d ON d."feedId" = c."feedId"`;

/**
 * Of PUSHABLE's rows, those a device would be pushed as of `now`, whatever their delay: changes a device
 * would show (a creation or replacement that is still the notification's newest, or a fallback), of an
 * active notification, logged within the window and after the device's push subscription was set, that
 * no delivery mark of the device covers (it did not get it live, on any process: marks are written by
 * every process's recorder). Targeting is narrowed here on the JSON columns and decided exactly by the
 * dispatcher. One fragment for the claim and for the probe of what falls due next, so that both see
 * exactly the same rows (a probe that saw more would wake the dispatcher for nothing, again and again).
 */
const pushableAt = (now: Date, notBefore: Date) => Prisma.sql`
  c."createdAt" > ${notBefore}
  AND c."kind" IN (${Prisma.join(PUSHED_KINDS)})
  AND (c."kind" = 'FALLBACK' OR c."offset" = n."feedPosition")
  AND n."status" = 'ACTIVE' AND n."expirationDateTime" > ${now}
  AND ((c."kind" <> 'FALLBACK' AND (n."platformTypes" = '[]' OR n."platformTypes" LIKE '%"WEB"%'))
    OR (c."kind" = 'FALLBACK' AND n."fallbackPolicy" LIKE '%"WEB"%'))
  AND d."platform" = 'WEB' AND d."pushEndpoint" IS NOT NULL
  AND d."expirationDateTime" > ${now} AND d."pushSince" <= c."createdAt"
  AND NOT EXISTS (SELECT 1 FROM "DeliveryMark" m
    WHERE m."deviceSubscriptionId" = d."id" AND m."fromOffset" < c."offset" AND m."offset" >= c."offset")`;

/** Web Push: devices' push subscriptions, the claims and outcomes of pushes, and shared key material. */
export function createPushStore(
  db: Database,
): Pick<
  Store,
  | 'setDevicePushSubscription'
  | 'sharedKey'
  | 'claimDuePushes'
  | 'nextPushes'
  | 'recordPushOutcomes'
  | 'releasePushClaims'
> {
  const { write, reader } = db;
  return {
    setDevicePushSubscription: (id, subscription, now) =>
      write(async (tx) => {
        const { count } = await tx.deviceSubscription.updateMany({
          where: { id },
          data: pushColumns(subscription, now),
        });
        if (count === 0) throw notFound('Device subscription');
        const row = await tx.deviceSubscription.findUniqueOrThrow({ where: { id }, include: { feed: true } });
        return toDeviceSubscription(row);
      }),
    async sharedKey(name, create, now) {
      // The database decides between two processes starting at once: the second insert does nothing,
      // and both read the one row.
      await write(
        (tx) => tx.$executeRaw`
          INSERT INTO "GatewayKey" ("name", "value", "createdAt") VALUES (${name}, ${create()}, ${now})
          ON CONFLICT ("name") DO NOTHING`,
      );
      const row = await reader.gatewayKey.findUniqueOrThrow({ where: { name } });
      return row.value;
    },
    async claimDuePushes({ now, dueBefore, notBefore, staleClaimsBefore, limit }) {
      // One query for every device: what pushableAt keeps, due (logged at least the delay ago), and not
      // claimed yet (or claimed by a process that died with it).
      const rows = await reader.$queryRaw<DueRow[]>`
        SELECT d."id" AS "deviceSubscriptionId", d."platform", d."pushEndpoint", d."pushP256dh",
               d."pushAuth", c."feedId", f."epoch", c."offset", c."kind", c."notificationId"
        ${PUSHABLE}
        WHERE ${pushableAt(now, notBefore)} AND c."createdAt" <= ${dueBefore}
          AND NOT EXISTS (SELECT 1 FROM "Push" p
            WHERE p."deviceSubscriptionId" = d."id" AND p."offset" = c."offset"
              AND NOT (p."status" = 'CLAIMED' AND p."claimedAt" < ${staleClaimsBefore}))
        ORDER BY c."createdAt", c."offset"
        LIMIT ${limit}`;
      if (rows.length === 0) return [];
      // The claim: one insert of them all, which the primary key makes do nothing for a push another
      // process inserted first, unless its claim is stale: then it is taken over (the update's condition is
      // checked again on the locked row, so of two processes taking one over, one does). Only what this
      // statement returns is ours to send. (A device or change gone since the select is left out by the
      // joins.)
      const pairs = rows.map(
        (row) => Prisma.sql`(${row.deviceSubscriptionId}, CAST(${Number(row.offset)} AS INTEGER))`,
      );
      const claimed = await write(
        (tx) => tx.$queryRaw<Array<{ deviceSubscriptionId: string; offset: number | bigint }>>`
          INSERT INTO "Push" ("deviceSubscriptionId", "feedId", "offset", "status", "claimedAt")
          SELECT d."id", c."feedId", c."offset", 'CLAIMED', ${now}
          FROM "DeviceSubscription" d JOIN "Change" c ON c."feedId" = d."feedId"
          WHERE (d."id", c."offset") IN (VALUES ${Prisma.join(pairs)})
          ON CONFLICT ("deviceSubscriptionId", "offset") DO UPDATE SET "claimedAt" = ${now}
            WHERE "Push"."status" = 'CLAIMED' AND "Push"."claimedAt" < ${staleClaimsBefore}
          RETURNING "deviceSubscriptionId", "offset"`,
      );
      const ours = new Set(claimed.map((row) => `${row.deviceSubscriptionId} ${Number(row.offset)}`));
      const mine = rows.filter((row) => ours.has(`${row.deviceSubscriptionId} ${Number(row.offset)}`));
      if (mine.length === 0) return [];
      const notifications = new Map(
        (
          await reader.notification.findMany({
            where: { id: { in: [...new Set(mine.map((row) => row.notificationId))] } },
          })
        ).map((row) => [row.id, toNotification(row)]),
      );
      const closing = await closeListsOf(
        reader,
        [...new Set(mine.map((row) => row.deviceSubscriptionId))],
        now,
      );
      return mine.flatMap((row): ClaimedPush[] => {
        const notification = notifications.get(row.notificationId);
        if (!notification) return [];
        return [
          {
            deviceSubscriptionId: row.deviceSubscriptionId,
            platform: row.platform as Platform,
            subscription: { endpoint: row.pushEndpoint, p256dh: row.pushP256dh, auth: row.pushAuth },
            close: (closing.get(row.deviceSubscriptionId) ?? []).filter((id) => id !== row.notificationId),
            claimedAt: now,
            change: {
              feedId: row.feedId,
              epoch: row.epoch,
              offset: Number(row.offset),
              kind: row.kind as ChangeKind,
              notification,
            },
          },
        ];
      });
    },
    async nextPushes({ now, notBefore, claimedBefore }) {
      // The claim's rows (same joins and conditions, whatever their delay): the oldest change not claimed
      // for a device yet, and the oldest claim made before `claimedBefore` still unsettled. Both start
      // from Change's (createdAt) index over the window, never from every push ever recorded.
      const [row] = await reader.$queryRaw<Array<{ change: unknown; claim: unknown }>>`
        SELECT
          (SELECT c."createdAt" ${PUSHABLE}
            WHERE ${pushableAt(now, notBefore)}
              AND NOT EXISTS (SELECT 1 FROM "Push" p
                WHERE p."deviceSubscriptionId" = d."id" AND p."offset" = c."offset")
            ORDER BY c."createdAt" LIMIT 1) AS "change",
          (SELECT MIN(p."claimedAt") ${PUSHABLE}
            JOIN "Push" p ON p."deviceSubscriptionId" = d."id" AND p."offset" = c."offset"
            WHERE ${pushableAt(now, notBefore)}
              AND p."status" = 'CLAIMED' AND p."claimedAt" < ${claimedBefore}) AS "claim"`;
      const change = timeOf(row?.change);
      const claim = timeOf(row?.claim);
      return {
        firstChange: change === null ? null : new Date(change),
        firstClaim: claim === null ? null : new Date(claim),
      };
    },
    releasePushClaims: (pushes) =>
      write(async (tx) => {
        await tx.push.deleteMany({
          where: {
            status: 'CLAIMED',
            OR: pushes.map(claimOf),
          },
        });
      }),
    recordPushOutcomes: (outcomes, at) =>
      write(async (tx) => {
        for (const outcome of ['PUSHED', 'GONE', 'FAILED', 'SKIPPED'] as const) {
          const pushes = outcomes.filter((entry) => entry.outcome === outcome).map((entry) => entry.push);
          if (pushes.length === 0) continue;
          await tx.push.updateMany({
            where: { status: 'CLAIMED', OR: pushes.map(claimOf) },
            data: { status: outcome, ...(outcome === 'PUSHED' ? { pushedAt: at } : {}) },
          });
          if (outcome !== 'GONE') continue;
          for (const push of pushes) {
            await tx.deviceSubscription.updateMany({
              where: { id: push.deviceSubscriptionId, pushEndpoint: push.subscription.endpoint },
              data: pushColumns(null, at),
            });
          }
        }
      }),
  };
}

/** The row of a claim, as long as it is still the claim this process made (see ClaimedPush.claimedAt). */
const claimOf = (push: ClaimedPush) => ({
  deviceSubscriptionId: push.deviceSubscriptionId,
  offset: push.change.offset,
  claimedAt: push.claimedAt,
});
