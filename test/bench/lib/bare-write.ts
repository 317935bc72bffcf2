// The write path's floor: one batch of posts written with the SQL the store runs for it
// (src/store/post-notifications.ts: BEGIN, the devices and their feeds, the feeds' offsets, the
// existing keys, the notifications, the changes, COMMIT), straight on the driver with statements
// prepared once. What Prisma, the store and group commit add is the store's cost above this.
import { randomUUID } from 'node:crypto';
import Database from 'better-sqlite3';
import pg from 'pg';
import type { NotificationContent } from '../../../src/domain/types.js';

/** One post: a new notification for the user behind `unsid`. */
export interface BarePost {
  readonly unsid: string;
  readonly appId: string;
  readonly content: NotificationContent;
  readonly now: Date;
}

/** Writes one batch of posts in one transaction; every batch has the size given at opening. */
export interface BareWriter {
  write(posts: readonly BarePost[]): Promise<void>;
  close(): Promise<void>;
}

const COLUMNS = [
  'id',
  'feedId',
  'appId',
  'appNotificationId',
  'targetHostName',
  'feedPosition',
  'priority',
  'groupName',
  'visualTitle',
  'visualBody',
  'rawContent',
  'platformTypes',
  'displayTimeToLive',
  'expirationDateTime',
  'fallbackPolicy',
  'readState',
  'userActionState',
  'snoozedUntil',
  'status',
  'createdDateTime',
  'lastModifiedDateTime',
  'fallbackDueAt',
  'fallbackSentAt',
];
const CHANGE_COLUMNS = ['feedId', 'offset', 'kind', 'notificationId', 'createdAt'];

/** `$1, $2, …` (PostgreSQL) or `?, ?, …` (SQLite), `count` of them from `from`. */
const placeholders = (pgStyle: boolean, from: number, count: number) =>
  Array.from({ length: count }, (_, i) => (pgStyle ? `$${from + i}` : '?')).join(', ');

/** The statements of a batch of `size` posts, in either dialect. */
function statements(size: number, pgStyle: boolean) {
  const rows = (width: number) =>
    Array.from({ length: size }, (_, r) => `(${placeholders(pgStyle, 1 + r * width, width)})`).join(', ');
  const q = (n: number) => (pgStyle ? `$${n}` : '?');
  const cases = Array.from({ length: size }, (_, i) => `WHEN ${q(1 + 2 * i)} THEN ${q(2 + 2 * i)}`).join(' ');
  const ids = placeholders(pgStyle, 1 + 2 * size, size);
  const advanced = `"lastOffset" + CASE "Feed"."id" ${cases} END`;
  return {
    devices: `SELECT "DeviceSubscription"."id", "feedId", "expirationDateTime", "appId"
      FROM "DeviceSubscription" JOIN "Feed" ON "Feed"."id" = "DeviceSubscription"."feedId"
      WHERE "DeviceSubscription"."id" IN (${placeholders(pgStyle, 1, size)})`,
    advance: pgStyle
      ? `WITH "locked" AS (SELECT "id" FROM "Feed" WHERE "id" IN (${ids}) ORDER BY "id" FOR UPDATE)
        UPDATE "Feed" SET "lastOffset" = ${advanced.replaceAll(/THEN (\$\d+)/g, 'THEN $1::int')}
        FROM "locked" WHERE "Feed"."id" = "locked"."id"
        RETURNING "Feed"."id", "Feed"."lastOffset", "Feed"."epoch"`
      : `UPDATE "Feed" SET "lastOffset" = ${advanced} WHERE "id" IN (${ids})
        RETURNING "id", "lastOffset", "epoch"`,
    existing: `SELECT "id", "feedId", "appNotificationId" FROM "Notification" WHERE ${Array.from(
      { length: size },
      (_, i) => `("feedId" = ${q(1 + 2 * i)} AND "appNotificationId" = ${q(2 + 2 * i)})`,
    ).join(' OR ')}`,
    notifications: `INSERT INTO "Notification" (${COLUMNS.map((c) => `"${c}"`).join(', ')}) VALUES ${rows(COLUMNS.length)}`,
    changes: `INSERT INTO "Change" (${CHANGE_COLUMNS.map((c) => `"${c}"`).join(', ')}) VALUES ${rows(CHANGE_COLUMNS.length)}`,
  };
}

/** A post's row, its dates as `date` turns them into what the driver writes. */
function notificationRow(post: BarePost, feedId: string, offset: number, date: (d: Date) => unknown) {
  const { content, now } = post;
  return [
    randomUUID(),
    feedId,
    post.appId,
    content.appNotificationId,
    content.targetHostName,
    offset,
    content.priority,
    content.groupName,
    content.visualContent?.title ?? null,
    content.visualContent?.body ?? null,
    content.rawContent,
    JSON.stringify(content.platformTypes),
    content.displayTimeToLive,
    date(content.expirationDateTime),
    null,
    'UNREAD',
    'NO_INTERACTION',
    null,
    'ACTIVE',
    date(now),
    date(now),
    null,
    null,
  ];
}

/** Places each post in its feed (one post per feed in a batch), as the store does. */
function place(
  posts: readonly BarePost[],
  feedOf: ReadonlyMap<string, string>,
  offsets: ReadonlyMap<string, number>,
  date: (d: Date) => unknown,
) {
  const notifications: unknown[] = [];
  const changes: unknown[] = [];
  for (const post of posts) {
    const feedId = feedOf.get(post.unsid) as string;
    const offset = offsets.get(feedId) as number;
    const row = notificationRow(post, feedId, offset, date);
    notifications.push(...row);
    changes.push(feedId, offset, 'CREATED', row[0], date(post.now));
  }
  return { notifications, changes };
}

/** SQLite through better-sqlite3, synchronous = `synchronous` as the store sets it; dates as Prisma writes them. */
export function bareSqliteWriter(file: string, size: number, synchronous: string): BareWriter {
  const db = new Database(file, { timeout: 5000 });
  db.pragma(`synchronous = ${synchronous}`);
  db.pragma('foreign_keys = ON');
  const sql = statements(size, false);
  const prepared = {
    begin: db.prepare('BEGIN'),
    commit: db.prepare('COMMIT'),
    devices: db.prepare(sql.devices),
    advance: db.prepare(sql.advance),
    existing: db.prepare(sql.existing),
    notifications: db.prepare(sql.notifications),
    changes: db.prepare(sql.changes),
  };
  const date = (d: Date) => d.toISOString().replace('Z', '+00:00');
  return {
    async write(posts) {
      prepared.begin.run();
      try {
        const devices = prepared.devices.all(...posts.map((p) => p.unsid)) as Array<{
          id: string;
          feedId: string;
        }>;
        const feedOf = new Map(devices.map((d) => [d.id, d.feedId]));
        const feeds = posts.map((p) => feedOf.get(p.unsid) as string);
        const advanced = prepared.advance.all(...feeds.flatMap((f) => [f, 1]), ...feeds) as Array<{
          id: string;
          lastOffset: number;
        }>;
        const offsets = new Map(advanced.map((row) => [row.id, row.lastOffset]));
        prepared.existing.all(...posts.flatMap((p, i) => [feeds[i], p.content.appNotificationId]));
        const { notifications, changes } = place(posts, feedOf, offsets, date);
        prepared.notifications.run(...notifications);
        prepared.changes.run(...changes);
        prepared.commit.run();
      } catch (error) {
        if (db.inTransaction) db.prepare('ROLLBACK').run();
        throw error;
      }
    },
    async close() {
      db.close();
    },
  };
}

/** PostgreSQL through node-postgres: named statements, prepared once on the connection. */
export async function barePostgresWriter(url: string, schema: string, size: number): Promise<BareWriter> {
  const client = new pg.Client({ connectionString: url, options: `-c search_path="${schema}"` });
  await client.connect();
  const sql = statements(size, true);
  const run = <R extends pg.QueryResultRow>(name: keyof typeof sql, values: unknown[]) =>
    client.query<R>({ name: `bare-${name}-${size}`, text: sql[name], values });
  return {
    async write(posts) {
      await client.query('BEGIN');
      try {
        const devices = await run<{ id: string; feedId: string }>(
          'devices',
          posts.map((p) => p.unsid),
        );
        const feedOf = new Map(devices.rows.map((d) => [d.id, d.feedId]));
        const feeds = posts.map((p) => feedOf.get(p.unsid) as string);
        const advanced = await run<{ id: string; lastOffset: number }>('advance', [
          ...feeds.flatMap((f) => [f, 1]),
          ...feeds,
        ]);
        const offsets = new Map(advanced.rows.map((row) => [row.id, row.lastOffset]));
        await run(
          'existing',
          posts.flatMap((p, i) => [feeds[i], p.content.appNotificationId]),
        );
        const { notifications, changes } = place(posts, feedOf, offsets, (d) => d);
        await run('notifications', notifications);
        await run('changes', changes);
        await client.query('COMMIT');
      } catch (error) {
        await client.query('ROLLBACK').catch(() => {});
        throw error;
      }
    },
    close: () => client.end(),
  };
}
