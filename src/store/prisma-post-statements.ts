import { Prisma } from './generated/sqlite/client.js';
import type { DeviceOwner, PostStatements } from './post-statements.js';
import type { Provider, Transaction } from './prisma-client.js';
import { insertRows } from './prisma-insert.js';
import { CHANGE_COLUMNS, NOTIFICATION_COLUMNS } from './raw-insert.js';

/** The statements of a batch through Prisma's raw queries, in its interactive transaction `tx`. */
export function prismaPostStatements(tx: Transaction, provider: Provider): PostStatements {
  return {
    async devices(unsids) {
      const rows = await tx.$queryRaw<
        Array<Omit<DeviceOwner, 'expirationDateTime'> & { expirationDateTime: Date | string }>
      >`
        SELECT "DeviceSubscription"."id", "feedId", "expirationDateTime", "appId", "issuer", "subject"
        FROM "DeviceSubscription" JOIN "Feed" ON "Feed"."id" = "DeviceSubscription"."feedId"
        WHERE "DeviceSubscription"."id" IN (${Prisma.join(unsids)})`;
      // A raw query's dates come back as Date or as ISO text, by provider.
      return rows.map((row) => ({ ...row, expirationDateTime: new Date(row.expirationDateTime) }));
    },
    advanceFeeds(counts) {
      const ids = Prisma.join([...counts.keys()]);
      const increments = [...counts].map(
        ([id, count]) => Prisma.sql`WHEN ${id} THEN CAST(${count} AS INTEGER)`,
      );
      const advanced = Prisma.sql`"lastOffset" + CASE "Feed"."id" ${Prisma.join(increments, ' ')} END`;
      return tx.$queryRaw(
        provider === 'postgres'
          ? Prisma.sql`
            WITH "locked" AS (SELECT "id" FROM "Feed" WHERE "id" IN (${ids}) ORDER BY "id" FOR UPDATE)
            UPDATE "Feed" SET "lastOffset" = ${advanced} FROM "locked" WHERE "Feed"."id" = "locked"."id"
            RETURNING "Feed"."id", "Feed"."lastOffset", "Feed"."epoch", "Feed"."appId"`
          : Prisma.sql`
            UPDATE "Feed" SET "lastOffset" = ${advanced} WHERE "id" IN (${ids})
            RETURNING "id", "lastOffset", "epoch", "appId"`,
      );
    },
    feeds: (owners) => tx.$queryRaw`
      SELECT "id", "appId", "issuer", "subject" FROM "Feed"
      WHERE ${Prisma.join(
        owners.map(
          (owner) =>
            Prisma.sql`("appId" = ${owner.appId} AND "issuer" = ${owner.issuer} AND "subject" = ${owner.subject})`,
        ),
        ' OR ',
      )}`,
    async insertFeedsIfMissing(rows) {
      const values = rows.map(
        (row) => Prisma.sql`(${row.id}, ${row.appId}, ${row.issuer}, ${row.subject}, ${row.epoch})`,
      );
      await tx.$executeRaw`
        INSERT INTO "Feed" ("id", "appId", "issuer", "subject", "epoch") VALUES ${Prisma.join(values)}
        ON CONFLICT ("appId", "issuer", "subject") DO NOTHING`;
    },
    existingKeys: (keys) => tx.$queryRaw`
      SELECT "id", "feedId", "appNotificationId" FROM "Notification"
      WHERE ${Prisma.join(
        keys.map(
          (key) => Prisma.sql`("feedId" = ${key.feedId} AND "appNotificationId" = ${key.appNotificationId})`,
        ),
        ' OR ',
      )}`,
    async insertNotifications(rows) {
      await tx.$executeRaw(insertRows('Notification', NOTIFICATION_COLUMNS, rows));
    },
    // Rare (a replace), and it needs the whole row back: the model API.
    replaceNotification: (id, data) => tx.notification.update({ where: { id }, data }),
    async insertChanges(rows) {
      await tx.$executeRaw(insertRows('Change', CHANGE_COLUMNS, rows));
    },
  };
}
