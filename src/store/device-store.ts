import { randomUUID } from 'node:crypto';
import type { FeedOwner, PushSubscription } from '../domain/types.js';
import { ErrorCode, GatewayError, notFound } from '../errors.js';
import { lockFeed } from './feed-log.js';
import type { Database } from './prisma-client.js';
import { createReadBatch } from './read-batch.js';
import { toDeviceSubscription } from './records.js';
import type { Store } from './types.js';

/** The unique key of a user's feed in an app. */
export const feedKey = (owner: FeedOwner) => ({
  appId_issuer_subject: { appId: owner.appId, issuer: owner.issuer, subject: owner.subject },
});

/** The columns that hold a device's push subscription (all null: none). */
export const pushColumns = (subscription: PushSubscription | null, now: Date) => ({
  pushEndpoint: subscription?.endpoint ?? null,
  pushP256dh: subscription?.p256dh ?? null,
  pushAuth: subscription?.auth ?? null,
  pushSince: subscription ? now : null,
});

/** Device subscriptions (UNSIDs), and the feed each user gets with their first one. */
export function createDeviceStore(
  db: Database,
): Pick<
  Store,
  | 'createDeviceSubscription'
  | 'findDeviceSubscription'
  | 'listDeviceSubscriptions'
  | 'renewDeviceSubscription'
  | 'deleteDeviceSubscription'
  | 'findFeedId'
> {
  const { write, reader } = db;
  // Every socket that subscribes reads its device subscription: read together with the others of the
  // same turn (a reconnect storm's), one query for all (read-batch.ts).
  const devicesById = createReadBatch(async (ids: readonly string[]) => {
    const rows = await reader.deviceSubscription.findMany({
      where: { id: { in: [...ids] } },
      include: { feed: true },
    });
    return new Map(rows.map((row) => [row.id, toDeviceSubscription(row)]));
  }, null);
  return {
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
              ...pushColumns(input.pushSubscription ?? null, input.now),
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
    findDeviceSubscription: devicesById,
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
  };
}
