// Seeds a Tidings store straight through its database, for measurements that need a big installation:
// `feeds` other users of the installation's app, each with one device subscription and `perFeed`
// notifications, each notification with the CREATED change that made it, and each feed's head at its
// last change: the rows Tidings itself would have written (prisma/*/schema.prisma), in one transaction.
// SQLite through better-sqlite3 (dates as Prisma's SQLite adapter writes them: ISO 8601 text with
// "+00:00"), PostgreSQL with one INSERT … SELECT generate_series per table, then ANALYZE (what
// autovacuum would do after such a load).
import Database from 'better-sqlite3';
import pg from 'pg';
import type { DatabaseLocation } from '../systems/system.js';
import { NOTIFICATION_BODY, NOTIFICATION_TITLE } from './notification.js';

export interface SeedOptions {
  readonly feeds: number;
  readonly perFeed: number;
  /** The issuer the seeded users' feeds are under (Tidings' embedded one). */
  readonly issuer: string;
}

export interface SeedResult {
  readonly notifications: number;
  readonly changes: number;
  readonly feeds: number;
  /** Notifications in the store after seeding, the installation's own included. */
  readonly storedNotifications: number;
  readonly ms: number;
}

const DAY_MS = 24 * 3600 * 1000;

/** Notifications stored now (all feeds). */
export async function countNotifications(database: DatabaseLocation): Promise<number> {
  if (database.kind === 'sqlite') {
    const db = new Database(database.file, { readonly: true, timeout: 5000 });
    try {
      return (db.prepare('SELECT COUNT(*) AS n FROM "Notification"').get() as { n: number }).n;
    } finally {
      db.close();
    }
  }
  return withPostgres(database, async (client) => {
    const { rows } = await client.query<{ n: string }>('SELECT COUNT(*) AS n FROM "Notification"');
    return Number(rows[0]?.n ?? 0);
  });
}

export async function seed(database: DatabaseLocation, options: SeedOptions): Promise<SeedResult> {
  const started = performance.now();
  const now = Date.now();
  const dates = {
    created: new Date(now - DAY_MS),
    expires: new Date(now + 7 * DAY_MS),
    deviceExpires: new Date(now + 30 * DAY_MS),
  };
  const stored =
    database.kind === 'sqlite'
      ? seedSqlite(database.file, options, dates)
      : await seedPostgres(database, options, dates);
  const count = options.feeds * options.perFeed;
  return {
    notifications: count,
    changes: count,
    feeds: options.feeds,
    storedNotifications: stored,
    ms: performance.now() - started,
  };
}

interface SeedDates {
  readonly created: Date;
  readonly expires: Date;
  readonly deviceExpires: Date;
}

/** The UNSID of the device of seeded feed `feed` (as the SQL below makes it). */
export const seededUnsid = (feed: number): string => `seeded${String(feed).padStart(18, '0')}`;

// Ids shaped like Tidings' own (UUIDs; UNSIDs of 24 base64url characters), and unique to the seeding.
const FEED_ID = `printf('%08x-5eed-4fee-8000-%012x', f, f)`;
const EPOCH = `printf('%08x-e90c-4000-8000-%012x', f, f)`;
const UNSID = `printf('seeded%018d', f)`;
const NOTIFICATION_ID = `printf('%08x-5eed-4a00-8000-%012x', f, k)`;

function seedSqlite(file: string, options: SeedOptions, dates: SeedDates): number {
  const iso = (date: Date) => date.toISOString().replace('Z', '+00:00');
  const db = new Database(file, { timeout: 30_000 });
  try {
    db.pragma('journal_mode = WAL');
    const app = db.prepare('SELECT "id", "targetHostName" FROM "App" ORDER BY "createdAt" LIMIT 1').get() as
      | { id: string; targetHostName: string }
      | undefined;
    if (!app) throw new Error('no app registered to seed for');
    const values = {
      feeds: options.feeds,
      perFeed: options.perFeed,
      appId: app.id,
      host: app.targetHostName,
      issuer: options.issuer,
      title: NOTIFICATION_TITLE,
      body: NOTIFICATION_BODY,
      created: iso(dates.created),
      expires: iso(dates.expires),
      deviceExpires: iso(dates.deviceExpires),
    };
    const feeds = `WITH RECURSIVE fs(f) AS (SELECT 0 UNION ALL SELECT f + 1 FROM fs WHERE f + 1 < @feeds)`;
    const both = `WITH RECURSIVE fs(f) AS (SELECT 0 UNION ALL SELECT f + 1 FROM fs WHERE f + 1 < @feeds),
      ks(k) AS (SELECT 1 UNION ALL SELECT k + 1 FROM ks WHERE k < @perFeed)`;
    db.transaction(() => {
      db.prepare(
        `${feeds} INSERT INTO "Feed" ("id", "appId", "issuer", "subject", "epoch", "lastOffset", "purgedThrough")
         SELECT ${FEED_ID}, @appId, @issuer, printf('seeded-user-%d', f), ${EPOCH}, @perFeed, 0 FROM fs`,
      ).run(values);
      db.prepare(
        `${feeds} INSERT INTO "DeviceSubscription"
           ("id", "feedId", "platform", "deviceLabel", "expirationDateTime", "createdDateTime", "ackedOffset")
         SELECT ${UNSID}, ${FEED_ID}, 'WEB', 'seeded device', @deviceExpires, @created, 0 FROM fs`,
      ).run(values);
      db.prepare(
        `${both} INSERT INTO "Notification" ("id", "feedId", "appId", "appNotificationId", "targetHostName",
           "feedPosition", "priority", "groupName", "visualTitle", "visualBody", "rawContent", "platformTypes",
           "displayTimeToLive", "expirationDateTime", "fallbackPolicy", "readState", "userActionState",
           "snoozedUntil", "status", "createdDateTime", "lastModifiedDateTime", "fallbackDueAt", "fallbackSentAt")
         SELECT ${NOTIFICATION_ID}, ${FEED_ID}, @appId, printf('seeded-%d', k), @host, k, 'NONE', NULL, @title,
           @body, NULL, '[]', NULL, @expires, NULL, 'UNREAD', 'NO_INTERACTION', NULL, 'ACTIVE', @created,
           @created, NULL, NULL
         FROM fs, ks ORDER BY f, k`,
      ).run(values);
      db.prepare(
        `${both} INSERT INTO "Change" ("feedId", "offset", "kind", "notificationId", "createdAt")
         SELECT ${FEED_ID}, k, 'CREATED', ${NOTIFICATION_ID}, @created FROM fs, ks ORDER BY f, k`,
      ).run(values);
    })();
    db.pragma('wal_checkpoint(TRUNCATE)');
    return (db.prepare('SELECT COUNT(*) AS n FROM "Notification"').get() as { n: number }).n;
  } finally {
    db.close();
  }
}

async function seedPostgres(
  database: Extract<DatabaseLocation, { kind: 'postgres' }>,
  options: SeedOptions,
  dates: SeedDates,
): Promise<number> {
  return withPostgres(database, async (client) => {
    const app = (
      await client.query<{ id: string; targetHostName: string }>(
        'SELECT "id", "targetHostName" FROM "App" ORDER BY "createdAt" LIMIT 1',
      )
    ).rows[0];
    if (!app) throw new Error('no app registered to seed for');
    // PostgreSQL's own formatting of the same ids as the SQLite seeding.
    const feedId = `lpad(to_hex(f), 8, '0') || '-5eed-4fee-8000-' || lpad(to_hex(f), 12, '0')`;
    const epoch = `lpad(to_hex(f), 8, '0') || '-e90c-4000-8000-' || lpad(to_hex(f), 12, '0')`;
    const unsid = `'seeded' || lpad(f::text, 18, '0')`;
    const notificationId = `lpad(to_hex(f), 8, '0') || '-5eed-4a00-8000-' || lpad(to_hex(k), 12, '0')`;
    const feeds = `generate_series(0, $1::int - 1) AS f`;
    const both = `generate_series(0, $1::int - 1) AS f, generate_series(1, $2::int) AS k`;
    await client.query('BEGIN');
    try {
      await client.query(
        `INSERT INTO "Feed" ("id", "appId", "issuer", "subject", "epoch", "lastOffset", "purgedThrough")
         SELECT ${feedId}, $3, $4, 'seeded-user-' || f, ${epoch}, $2::int, 0 FROM ${feeds}`,
        [options.feeds, options.perFeed, app.id, options.issuer],
      );
      await client.query(
        `INSERT INTO "DeviceSubscription"
           ("id", "feedId", "platform", "deviceLabel", "expirationDateTime", "createdDateTime", "ackedOffset")
         SELECT ${unsid}, ${feedId}, 'WEB', 'seeded device', $2::timestamp, $3::timestamp, 0 FROM ${feeds}`,
        [options.feeds, dates.deviceExpires.toISOString(), dates.created.toISOString()],
      );
      await client.query(
        `INSERT INTO "Notification" ("id", "feedId", "appId", "appNotificationId", "targetHostName",
           "feedPosition", "priority", "groupName", "visualTitle", "visualBody", "rawContent", "platformTypes",
           "displayTimeToLive", "expirationDateTime", "fallbackPolicy", "readState", "userActionState",
           "snoozedUntil", "status", "createdDateTime", "lastModifiedDateTime", "fallbackDueAt", "fallbackSentAt")
         SELECT ${notificationId}, ${feedId}, $3, 'seeded-' || k, $4, k, 'NONE', NULL, $5, $6, NULL, '[]', NULL,
           $7::timestamp, NULL, 'UNREAD', 'NO_INTERACTION', NULL, 'ACTIVE', $8::timestamp, $8::timestamp, NULL, NULL
         FROM ${both} ORDER BY f, k`,
        [
          options.feeds,
          options.perFeed,
          app.id,
          app.targetHostName,
          NOTIFICATION_TITLE,
          NOTIFICATION_BODY,
          dates.expires.toISOString(),
          dates.created.toISOString(),
        ],
      );
      await client.query(
        `INSERT INTO "Change" ("feedId", "offset", "kind", "notificationId", "createdAt")
         SELECT ${feedId}, k, 'CREATED', ${notificationId}, $3::timestamp FROM ${both} ORDER BY f, k`,
        [options.feeds, options.perFeed, dates.created.toISOString()],
      );
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK');
      throw error;
    }
    await client.query('ANALYZE "Feed", "DeviceSubscription", "Notification", "Change"');
    const { rows } = await client.query<{ n: string }>('SELECT COUNT(*) AS n FROM "Notification"');
    return Number(rows[0]?.n ?? 0);
  });
}

async function withPostgres<T>(
  database: Extract<DatabaseLocation, { kind: 'postgres' }>,
  work: (client: pg.Client) => Promise<T>,
): Promise<T> {
  const url = new URL(database.url);
  url.searchParams.delete('schema');
  const client = new pg.Client({
    connectionString: url.toString(),
    // Bounded: no statement of a seeding runs longer than 10 minutes.
    options: `-c search_path="${database.schema}" -c statement_timeout=600000`,
  });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/**
 * Appends `perDevice` CREATED changes (each with a new notification) to the feed of each device in
 * `unsids`, in one transaction, as that many posts to each device's user would: offsets after the feed's
 * head, and the head moved on. For measuring what comes after (a replay) without paying for the posts.
 */
export async function appendBacklog(
  database: DatabaseLocation,
  unsids: readonly string[],
  perDevice: number,
  keyPrefix: string,
): Promise<number> {
  const started = performance.now();
  const now = new Date();
  const expires = new Date(now.getTime() + 7 * DAY_MS);
  if (database.kind === 'sqlite') {
    const iso = (date: Date) => date.toISOString().replace('Z', '+00:00');
    const db = new Database(database.file, { timeout: 30_000 });
    try {
      const values = {
        unsids: JSON.stringify(unsids),
        perDevice,
        prefix: keyPrefix,
        title: NOTIFICATION_TITLE,
        body: NOTIFICATION_BODY,
        now: iso(now),
        expires: iso(expires),
      };
      // The devices' feeds with their heads, then k = 1..perDevice after each head.
      const rows = `WITH RECURSIVE ks(k) AS (SELECT 1 UNION ALL SELECT k + 1 FROM ks WHERE k < @perDevice),
        fs AS (SELECT f."id", f."appId", f."lastOffset" FROM "Feed" f
               WHERE f."id" IN (SELECT d."feedId" FROM "DeviceSubscription" d
                                WHERE d."id" IN (SELECT value FROM json_each(@unsids))))`;
      db.transaction(() => {
        db.prepare(
          `${rows} INSERT INTO "Notification" ("id", "feedId", "appId", "appNotificationId", "targetHostName",
             "feedPosition", "priority", "groupName", "visualTitle", "visualBody", "rawContent", "platformTypes",
             "displayTimeToLive", "expirationDateTime", "fallbackPolicy", "readState", "userActionState",
             "snoozedUntil", "status", "createdDateTime", "lastModifiedDateTime", "fallbackDueAt", "fallbackSentAt")
           SELECT lower(hex(randomblob(4)) || '-' || hex(randomblob(2)) || '-4' || substr(hex(randomblob(2)), 2)
               || '-a' || substr(hex(randomblob(2)), 2) || '-' || hex(randomblob(6))),
             fs."id", fs."appId", @prefix || (fs."lastOffset" + k),
             (SELECT "targetHostName" FROM "App" WHERE "App"."id" = fs."appId"), fs."lastOffset" + k, 'NONE', NULL,
             @title, @body, NULL, '[]', NULL, @expires, NULL, 'UNREAD', 'NO_INTERACTION', NULL, 'ACTIVE', @now,
             @now, NULL, NULL
           FROM fs, ks ORDER BY fs."id", k`,
        ).run(values);
        db.prepare(
          `${rows} INSERT INTO "Change" ("feedId", "offset", "kind", "notificationId", "createdAt")
           SELECT fs."id", fs."lastOffset" + k, 'CREATED',
             (SELECT n."id" FROM "Notification" n
              WHERE n."feedId" = fs."id" AND n."appNotificationId" = @prefix || (fs."lastOffset" + k)), @now
           FROM fs, ks ORDER BY fs."id", k`,
        ).run(values);
        db.prepare(
          `UPDATE "Feed" SET "lastOffset" = "lastOffset" + @perDevice
           WHERE "id" IN (SELECT d."feedId" FROM "DeviceSubscription" d
                          WHERE d."id" IN (SELECT value FROM json_each(@unsids)))`,
        ).run({ unsids: values.unsids, perDevice });
      })();
    } finally {
      db.close();
    }
  } else {
    await withPostgres(database, async (client) => {
      const feeds = `SELECT f."id", f."appId", f."lastOffset" FROM "Feed" f
        WHERE f."id" IN (SELECT d."feedId" FROM "DeviceSubscription" d WHERE d."id" = ANY($1::text[]))`;
      await client.query('BEGIN');
      try {
        await client.query(`${feeds} ORDER BY f."id" FOR UPDATE`, [unsids]);
        await client.query(
          `INSERT INTO "Notification" ("id", "feedId", "appId", "appNotificationId", "targetHostName",
             "feedPosition", "priority", "groupName", "visualTitle", "visualBody", "rawContent", "platformTypes",
             "displayTimeToLive", "expirationDateTime", "fallbackPolicy", "readState", "userActionState",
             "snoozedUntil", "status", "createdDateTime", "lastModifiedDateTime", "fallbackDueAt", "fallbackSentAt")
           SELECT gen_random_uuid()::text, fs."id", fs."appId", $3::text || (fs."lastOffset" + k),
             (SELECT "targetHostName" FROM "App" WHERE "App"."id" = fs."appId"), fs."lastOffset" + k, 'NONE',
             NULL, $4::text, $5::text, NULL, '[]', NULL, $6::timestamp, NULL, 'UNREAD', 'NO_INTERACTION', NULL, 'ACTIVE',
             $7::timestamp, $7::timestamp, NULL, NULL
           FROM (${feeds}) fs, generate_series(1, $2::int) k ORDER BY fs."id", k`,
          [
            unsids,
            perDevice,
            keyPrefix,
            NOTIFICATION_TITLE,
            NOTIFICATION_BODY,
            expires.toISOString(),
            now.toISOString(),
          ],
        );
        await client.query(
          `INSERT INTO "Change" ("feedId", "offset", "kind", "notificationId", "createdAt")
           SELECT fs."id", fs."lastOffset" + k, 'CREATED', n."id", $4::timestamp
           FROM (${feeds}) fs CROSS JOIN generate_series(1, $2::int) k
           JOIN "Notification" n ON n."feedId" = fs."id" AND n."appNotificationId" = $3::text || (fs."lastOffset" + k)
           ORDER BY fs."id", k`,
          [unsids, perDevice, keyPrefix, now.toISOString()],
        );
        await client.query(
          `UPDATE "Feed" SET "lastOffset" = "lastOffset" + $2::int
           WHERE "id" IN (SELECT d."feedId" FROM "DeviceSubscription" d WHERE d."id" = ANY($1::text[]))`,
          [unsids, perDevice],
        );
        await client.query('COMMIT');
      } catch (error) {
        await client.query('ROLLBACK');
        throw error;
      }
    });
  }
  return performance.now() - started;
}
