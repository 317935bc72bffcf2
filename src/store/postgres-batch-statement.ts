import type { Change, ChangeKind } from '../domain/types.js';
import { columnsOf } from './post-notifications.js';
import { notificationRowOf, toPostgres } from './postgres-values.js';
import type { NotificationRow } from './prisma-client.js';
import {
  type Column,
  columnList,
  NOTIFICATION_COLUMNS,
  NOTIFICATION_NAMES,
  REPLACED_NAMES,
  rowValues,
} from './raw-insert.js';
import { toNotification } from './records.js';
import { timeOrderedId } from './time-ordered-id.js';
import type { PostRequest } from './types.js';
import { POSTS_OUTCOME_UNKNOWN } from './unavailable.js';

// A batch of posts on PostgreSQL as ONE statement, committed on its own (no BEGIN, no COMMIT): it locks
// the batch's feeds in id order, advances each by its count, writes every notification (created, or
// replaced when its feed already has its appNotificationId) and logs each change. What writePosts
// (post-notifications.ts) does in 5–6 statements inside a transaction, with the same outcome.
//
// Why: there, the feed's row stays locked from the advance until COMMIT, across 4 round trips, each of
// which waits for this process's event loop to read the answer and send the next statement. Under load
// (1,000 posts/s, a busy loop) that is tens of milliseconds per batch, and every other batch that posts
// to one of those feeds (100 users, 4 batches in flight) waits for all of it. Here the lock is held only
// while PostgreSQL runs the statement and commits.
//
// Why it is still right without reading the keys after the lock (the pipelined attempt reverted in
// test/bench/RESULTS.md read them before it): whether a post creates or replaces is decided by the unique
// key (feedId, appNotificationId) itself, through INSERT … ON CONFLICT DO UPDATE, which sees (and waits
// for) rows committed after the statement's snapshot; and the offsets come from the feed's row as locked
// (the latest version, as the transactional advance reads it). A batch that names one key twice (a
// create then a replace of it) cannot be one INSERT … ON CONFLICT: it answers null, and the caller
// writes it the transactional way.

/** Notification's columns that a post's request gives; the rest come from its feed and its offset. */
const GIVEN_NAMES = NOTIFICATION_NAMES.filter(
  (name) => !['id', 'feedId', 'appId', 'feedPosition'].includes(name),
);
const SQL_TYPES = { text: 'text', int: 'integer', date: 'timestamp(3)' } as const;
const castOf = (name: keyof NotificationRow) => SQL_TYPES[(NOTIFICATION_COLUMNS[name] as Column).type];

/** Where each given column is in a row of NOTIFICATION_NAMES' order. */
const GIVEN_AT = GIVEN_NAMES.map((name) => NOTIFICATION_NAMES.indexOf(name));

/** Input columns per post: its new notification's id, its feed, its rank among the batch's posts to that feed, then GIVEN_NAMES. */
const WIDTH = 3 + GIVEN_NAMES.length;

/** How each column of the notification is filled from the input row and its locked feed. */
const insertedValue = (name: keyof NotificationRow) =>
  name === 'appId'
    ? '"advanced"."appId"'
    : name === 'feedPosition'
      ? '"advanced"."before" + "input"."rank" + 1'
      : `"input"."${name}"`;

/**
 * What every batch statement starts with: a comment, so a query log (onQuery) shows where a batch
 * committed without a COMMIT statement.
 */
export const BATCH_STATEMENT_MARK = '/* posts committed on their own */';

/**
 * The statement, one text for every batch size: its input comes as one array per column, which `unnest`
 * turns back into rows. So it is one prepared statement per connection; a VALUES list of one text per
 * batch size, each named, grew every pooled server process by ≈ 12 MB (16 sizes' plans).
 */
export const BATCH_STATEMENT = (() => {
  // Each array cast to its column's type: the rows take their types from them, not from the table.
  const arrays = [
    '$1::text[]',
    '$2::text[]',
    '$3::integer[]',
    ...GIVEN_NAMES.map((name, i) => `$${4 + i}::${castOf(name)}[]`),
  ];
  const returned = NOTIFICATION_NAMES.map((name) => `"written"."${name}"`).join(', ');
  return `${BATCH_STATEMENT_MARK} WITH "input" ("id", "feedId", "rank", ${GIVEN_NAMES.map((name) => `"${name}"`).join(', ')}) AS (
      SELECT * FROM unnest(${arrays.join(', ')})),
    "counts" AS (SELECT "feedId", CAST(COUNT(*) AS INTEGER) AS "n" FROM "input" GROUP BY "feedId"),
    "locked" AS (SELECT "Feed"."id" FROM "Feed" JOIN "counts" ON "counts"."feedId" = "Feed"."id"
      ORDER BY "Feed"."id" FOR UPDATE OF "Feed"),
    "advanced" AS (UPDATE "Feed" SET "lastOffset" = "Feed"."lastOffset" + "counts"."n"
      FROM "locked" JOIN "counts" ON "counts"."feedId" = "locked"."id" WHERE "Feed"."id" = "locked"."id"
      RETURNING "Feed"."id", "Feed"."lastOffset" - "counts"."n" AS "before", "Feed"."epoch", "Feed"."appId"),
    "written" AS (INSERT INTO "Notification" (${columnList(NOTIFICATION_COLUMNS)})
      SELECT ${NOTIFICATION_NAMES.map(insertedValue).join(', ')}
      FROM "input" JOIN "advanced" ON "advanced"."id" = "input"."feedId"
      ON CONFLICT ("feedId", "appNotificationId") DO UPDATE
      SET ${REPLACED_NAMES.map((name) => `"${name}" = EXCLUDED."${name}"`).join(', ')}
      RETURNING ${columnList(NOTIFICATION_COLUMNS)}),
    "posted" AS (SELECT "written".*, "input"."id" AS "postedId", "input"."createdDateTime" AS "postedAt",
        "advanced"."epoch" AS "epoch"
      FROM "written"
      JOIN "input" ON "input"."feedId" = "written"."feedId"
        AND "input"."appNotificationId" = "written"."appNotificationId"
      JOIN "advanced" ON "advanced"."id" = "written"."feedId"),
    "logged" AS (INSERT INTO "Change" ("feedId", "offset", "kind", "notificationId", "createdAt")
      SELECT "feedId", "feedPosition", CASE WHEN "id" = "postedId" THEN 'CREATED' ELSE 'REPLACED' END, "id",
        "postedAt"
      FROM "posted")
    SELECT ${returned.replaceAll('"written".', '')}, "postedId", "epoch" FROM "posted"`;
})();

/**
 * Writes `requests` (whose feeds are `feedIds`, null for a post that answers null) through `send`, one
 * statement committed on its own; answers per request its change or null, as writePosts does. Answers
 * null instead, writing nothing, when the batch names one key twice.
 */
export async function writeInOneStatement(
  send: (columns: unknown[][]) => Promise<Array<Record<string, unknown>>>,
  requests: readonly PostRequest[],
  feedIds: ReadonlyArray<string | null>,
): Promise<Array<Change | null> | null> {
  const ranks = new Map<string, number>();
  const keys = new Set<string>();
  const posted: Array<{ id: string; at: number }> = [];
  // One array per column of the statement's input (BATCH_STATEMENT's parameters).
  const columns: unknown[][] = Array.from({ length: WIDTH }, () => []);
  for (const [at, request] of requests.entries()) {
    const feedId = feedIds[at];
    if (!feedId) continue;
    const key = `${feedId}\u0000${request.content.appNotificationId}`;
    if (keys.has(key)) return null;
    keys.add(key);
    const rank = ranks.get(feedId) ?? 0;
    ranks.set(feedId, rank + 1);
    const id = timeOrderedId();
    // Checked before anything is sent, as the transactional writer checks: a value that does not fit its
    // column fails the batch with nothing written. The feed's columns are placeholders here.
    const row = rowValues('Notification', NOTIFICATION_COLUMNS, {
      id,
      feedId,
      appId: '',
      createdDateTime: request.now,
      ...columnsOf(request, 0),
    });
    (columns[0] as unknown[]).push(id);
    (columns[1] as unknown[]).push(feedId);
    (columns[2] as unknown[]).push(rank);
    for (const [c, i] of GIVEN_AT.entries()) (columns[3 + c] as unknown[]).push(toPostgres(row[i]));
    posted.push({ id, at });
  }
  const answers: Array<Change | null> = requests.map(() => null);
  if (posted.length === 0) return answers;
  const rows = await send(columns);
  // From here the posts are committed: a failure to read the answer (not expected: the values are our
  // own) must not have them written again one by one (group commit retries a batch's posts alone after an
  // error one of them may have caused): it is the outcome-unknown case of a connection lost in a commit.
  try {
    const byId = new Map(rows.map((raw) => [raw.postedId as string, raw]));
    for (const { id, at } of posted) {
      const raw = byId.get(id);
      // A feed named by id that does not exist: nothing written, null, as writePosts answers.
      if (!raw) continue;
      const row = notificationRowOf(raw);
      answers[at] = {
        feedId: row.feedId,
        epoch: raw.epoch as string,
        offset: row.feedPosition,
        kind: (row.id === id ? 'CREATED' : 'REPLACED') satisfies ChangeKind,
        notification: toNotification(row),
      };
    }
  } catch (error) {
    throw Object.assign(
      new Error(
        'A batch of posts committed, but its answer could not be read; the posts may have been written.',
        {
          cause: error,
        },
      ),
      { code: POSTS_OUTCOME_UNKNOWN },
    );
  }
  return answers;
}
