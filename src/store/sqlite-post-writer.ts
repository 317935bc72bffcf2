import type BetterSqlite3 from 'better-sqlite3';
import type { Change } from '../domain/types.js';
import { writePosts } from './post-notifications.js';
import type { PostStatements } from './post-statements.js';
import type { NotificationRow } from './prisma-client.js';
import {
  CHANGE_COLUMNS,
  type Column,
  columnList,
  DELIVERY_MARK_COLUMNS,
  NOTIFICATION_COLUMNS,
  NOTIFICATION_NAMES,
  REPLACED_NAMES,
  replacedValues,
  rowsValues,
} from './raw-insert.js';
import type { PostRequest, Store } from './types.js';

// The write path that leaves Prisma on SQLite (postgres-post-writer.ts is PostgreSQL's): a batch of
// posts, the hot path of every gateway, and the delivery marks' flush.
// Through Prisma (even its raw queries) a post cost 3.5x the same SQL on the driver (bench
// write-floor): its request pipeline, parameter rendering and re-preparing every statement. Here the
// statements run on a better-sqlite3 connection directly, prepared once per shape: a worker thread's own
// (sqlite-write-thread.ts: the commit's fsync never holds the event loop), or, on one CPU, Prisma's writer
// connection (sqlite-loop-writes.ts); both keep these transactions from overlapping Prisma's own by its
// adapter's transaction lock. What is written is decided
// by post-notifications.ts, as for PostgreSQL; the contract tests cover both. This module loads neither
// Prisma's client nor anything of the gateway: it is what the worker thread runs.

// The last date written and its text: a post's creation, modification and change times are one `now`,
// and the posts of a batch mostly share a millisecond.
let lastDateMs = Number.NaN;
let lastDateText = '';
/** Dates as Prisma's SQLite adapter writes them (ISO 8601 with "+00:00"), so both read them alike. */
function sqliteDate(date: Date): string {
  const ms = date.getTime();
  if (ms !== lastDateMs) {
    lastDateMs = ms;
    lastDateText = `${date.toISOString().slice(0, -1)}+00:00`;
  }
  return lastDateText;
}
const toSqlite = (value: unknown) => (value instanceof Date ? sqliteDate(value) : value);
const placeholders = (count: number) => Array.from({ length: count }, () => '?').join(', ');
const rowsOf = (width: number, count: number) =>
  Array.from({ length: count }, () => `(${placeholders(width)})`).join(', ');

/**
 * A statement's text by the number of rows or keys it takes, made once per size: the same string each
 * time, so a batch neither rebuilds it nor hashes a new string of it to find its prepared statement.
 */
function textBySize(make: (size: number) => string): (size: number) => string {
  const made = new Map<number, string>();
  return (size) => {
    let text = made.get(size);
    if (text === undefined) {
      text = make(size);
      made.set(size, text);
    }
    return text;
  };
}

const DEVICES_SQL = textBySize(
  (size) => `SELECT "DeviceSubscription"."id", "feedId", "expirationDateTime", "appId", "issuer", "subject"
  FROM "DeviceSubscription" JOIN "Feed" ON "Feed"."id" = "DeviceSubscription"."feedId"
  WHERE "DeviceSubscription"."id" IN (${placeholders(size)})`,
);
const FEEDS_SQL = textBySize(
  (size) =>
    `SELECT "id", "appId", "issuer", "subject" FROM "Feed" WHERE ${Array.from(
      { length: size },
      () => '("appId" = ? AND "issuer" = ? AND "subject" = ?)',
    ).join(' OR ')}`,
);
const INSERT_FEEDS_SQL = textBySize(
  (size) => `INSERT INTO "Feed" ("id", "appId", "issuer", "subject", "epoch") VALUES ${rowsOf(5, size)}
  ON CONFLICT ("appId", "issuer", "subject") DO NOTHING`,
);
const ADVANCE_FEEDS_SQL = textBySize(
  (size) => `UPDATE "Feed" SET "lastOffset" = "lastOffset" + CASE "id" ${Array.from(
    { length: size },
    () => 'WHEN ? THEN ?',
  ).join(' ')} END
  WHERE "id" IN (${placeholders(size)}) RETURNING "id", "lastOffset", "epoch", "appId"`,
);
const INSERT_NOTIFICATIONS_SQL = textBySize(
  (size) =>
    `INSERT INTO "Notification" (${columnList(NOTIFICATION_COLUMNS)}) VALUES ${rowsOf(NOTIFICATION_NAMES.length, size)}`,
);
const INSERT_CHANGES_SQL = textBySize(
  (size) =>
    `INSERT INTO "Change" (${columnList(CHANGE_COLUMNS)}) VALUES ${rowsOf(Object.keys(CHANGE_COLUMNS).length, size)}`,
);
const EXISTING_KEYS_SQL = textBySize(
  (size) =>
    `SELECT "id", "feedId", "appNotificationId" FROM "Notification" WHERE ${Array.from(
      { length: size },
      () => '("feedId" = ? AND "appNotificationId" = ?)',
    ).join(' OR ')}`,
);

const REPLACE_SQL = `UPDATE "Notification" SET ${REPLACED_NAMES.map((name) => `"${name}" = ?`).join(', ')}
  WHERE "id" = ? RETURNING *`;

/** A notification row as this connection returns it, as the model API would. */
function notificationRowOf(raw: Record<string, unknown>): NotificationRow {
  const row: Record<string, unknown> = {};
  for (const name of NOTIFICATION_NAMES) {
    const value = raw[name];
    const { type } = NOTIFICATION_COLUMNS[name] as Column;
    // The adapter's connection reads integers as BigInt (defaultSafeIntegers), dates as text.
    row[name] =
      value === null
        ? null
        : type === 'date'
          ? new Date(value as string)
          : type === 'int'
            ? Number(value)
            : value;
  }
  return row as NotificationRow;
}

/** The writes that run on the writer's own connection. */
export interface SqliteDirectWrites {
  writePosts(requests: readonly PostRequest[]): Promise<Array<Change | null>>;
  recordDeliveryMarks: Store['recordDeliveryMarks'];
}

/**
 * Writes on `client`, each call in one transaction, committed (synchronously: the calls never yield to
 * I/O) before it resolves: batches of posts (see writePosts) and delivery marks. `onQuery` is told every
 * statement, as Prisma's query log would be. The caller keeps other writers of the database out of the
 * way (sqlite-write-thread.ts); another process's write lock is waited for up to the connection's busy
 * timeout, then fails with SQLITE_BUSY.
 */
export function createSqliteDirectWrites(
  client: BetterSqlite3.Database,
  onQuery?: (sql: string) => void,
): SqliteDirectWrites {
  // By text: one statement per shape (batch sizes up to the group commit's maximum).
  const prepared = new Map<string, BetterSqlite3.Statement>();
  const statement = (sql: string) => {
    onQuery?.(sql);
    let found = prepared.get(sql);
    if (!found) {
      found = client.prepare(sql);
      prepared.set(sql, found);
    }
    return found;
  };
  async function inTransaction<T>(work: () => Promise<T>): Promise<T> {
    statement('BEGIN').run();
    try {
      const result = await work();
      statement('COMMIT').run();
      return result;
    } catch (error) {
      if (client.inTransaction) statement('ROLLBACK').run();
      throw error;
    }
  }

  const statements: PostStatements = {
    async devices(unsids) {
      const rows = statement(DEVICES_SQL(unsids.length)).all(...unsids) as Array<{
        id: string;
        feedId: string;
        expirationDateTime: string;
        appId: string;
        issuer: string;
        subject: string;
      }>;
      // A literal, not a spread and one more field (see postedColumns in records.ts).
      return rows.map((row) => ({
        id: row.id,
        feedId: row.feedId,
        expirationDateTime: new Date(row.expirationDateTime),
        appId: row.appId,
        issuer: row.issuer,
        subject: row.subject,
      }));
    },
    async feeds(owners) {
      return statement(FEEDS_SQL(owners.length)).all(
        ...owners.flatMap((owner) => [owner.appId, owner.issuer, owner.subject]),
      ) as Array<{ id: string; appId: string; issuer: string; subject: string }>;
    },
    async insertFeedsIfMissing(rows) {
      statement(INSERT_FEEDS_SQL(rows.length)).run(
        ...rows.flatMap((row) => [row.id, row.appId, row.issuer, row.subject, row.epoch]),
      );
    },
    async advanceFeeds(counts) {
      return statement(ADVANCE_FEEDS_SQL(counts.size)).all(...[...counts].flat(), ...counts.keys()) as Array<{
        id: string;
        lastOffset: number;
        epoch: string;
        appId: string;
      }>;
    },
    async existingKeys(keys) {
      return statement(EXISTING_KEYS_SQL(keys.length)).all(
        ...keys.flatMap((key) => [key.feedId, key.appNotificationId]),
      ) as Array<{ id: string; feedId: string; appNotificationId: string }>;
    },
    async insertNotifications(rows) {
      const values = rowsValues('Notification', NOTIFICATION_COLUMNS, rows, toSqlite);
      statement(INSERT_NOTIFICATIONS_SQL(rows.length)).run(values);
    },
    async replaceNotification(id, data) {
      const values = replacedValues(data).map(toSqlite);
      const raw = statement(REPLACE_SQL).get(...values, id);
      if (!raw) throw new Error(`Notification ${id} vanished inside its feed's transaction.`);
      return notificationRowOf(raw as Record<string, unknown>);
    },
    async insertChanges(rows) {
      const values = rowsValues('Change', CHANGE_COLUMNS, rows, toSqlite);
      statement(INSERT_CHANGES_SQL(rows.length)).run(values);
    },
  };

  return {
    writePosts: (requests) => inTransaction(() => writePosts(statements, requests)),
    // What delivery-store.ts does through Prisma: a flush of a hundred marks there held the loop for
    // milliseconds of CPU, here for a fraction of one.
    recordDeliveryMarks: (marks, kind) =>
      inTransaction(async () => {
        const ids = [...new Set(marks.map((mark) => mark.deviceSubscriptionId))];
        // A device may have been deleted since it received: its marks have nowhere to go.
        const live = new Set(
          (
            statement(
              `SELECT "id" FROM "DeviceSubscription" WHERE "id" IN (${placeholders(ids.length)})`,
            ).all(...ids) as Array<{ id: string }>
          ).map((row) => row.id),
        );
        const kept = marks.filter((mark) => live.has(mark.deviceSubscriptionId));
        if (kept.length === 0) return;
        const width = Object.keys(DELIVERY_MARK_COLUMNS).length;
        statement(
          `INSERT INTO "DeliveryMark" (${columnList(DELIVERY_MARK_COLUMNS)}) VALUES ${rowsOf(width, kept.length)}`,
        ).run(
          rowsValues(
            'DeliveryMark',
            DELIVERY_MARK_COLUMNS,
            kept.map((mark) => ({ ...mark, kind })),
            toSqlite,
          ),
        );
        if (kind === 'ACKNOWLEDGED') {
          const raise = statement(
            'UPDATE "DeviceSubscription" SET "ackedOffset" = ? WHERE "id" = ? AND "ackedOffset" < ?',
          );
          for (const mark of kept) raise.run(mark.offset, mark.deviceSubscriptionId, mark.offset);
        }
      }),
  };
}
