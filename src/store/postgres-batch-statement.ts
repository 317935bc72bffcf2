import type { Change, ChangeKind } from '../domain/types.js';
import { columnsOf } from './post-notifications.js';
import { toPostgres } from './postgres-values.js';
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

// A batch of posts on PostgreSQL as ONE statement, committed on its own (no BEGIN, no COMMIT): it finds
// the feed of each post that names a UNSID, locks the batch's feeds in id order, advances each by its
// count, writes every notification (created, or replaced when its feed already has its appNotificationId)
// and logs each change. What writePosts (post-notifications.ts) does in 5–6 statements inside a
// transaction, with the same outcome.
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
// writes it the transactional way. So does a batch whose posts name one key through two UNSIDs of one
// feed (seen only once the statement has found their feed: PostgreSQL refuses the statement, nothing
// written, and it answers null too).
//
// A post that names a UNSID is written only if the UNSID may be used by its app at its time: the rule of
// mayUseDevice (domain/device-access.ts) for an app, as SQL: the device exists, has not expired at the
// post's `now`, and its feed is the app's. Reading the devices first, as writePosts does, was a round trip
// of its own per batch (half of the batch's), and each one costs this process a write, a wake-up and a
// read (issue 14: 10,000 users on PostgreSQL). The device is read in the statement's snapshot, as a read
// before it would have read it: a device deleted meanwhile is as deleted after a separate read.

/** Notification's columns that a post's request gives; the rest come from its feed and its offset. */
const GIVEN_NAMES = NOTIFICATION_NAMES.filter(
  (name) => !['id', 'feedId', 'appId', 'feedPosition'].includes(name),
);
const SQL_TYPES = { text: 'text', int: 'integer', date: 'timestamp(3)' } as const;
const castOf = (name: keyof NotificationRow) => SQL_TYPES[(NOTIFICATION_COLUMNS[name] as Column).type];

/** Where each given column is in a row of NOTIFICATION_NAMES' order. */
const GIVEN_AT = GIVEN_NAMES.map((name) => NOTIFICATION_NAMES.indexOf(name));

/**
 * Input columns per post: its new notification's id, its feed (null when it names a UNSID), its UNSID and
 * the app posting through it (null when it names a feed), then GIVEN_NAMES.
 */
const WIDTH = 4 + GIVEN_NAMES.length;
/** Where the post's `now` is among the input columns: the UNSID's expiry is checked against it. */
const NOW_NAME = 'createdDateTime' satisfies (typeof GIVEN_NAMES)[number];

/** How each column of the notification is filled from the input row and its locked feed. */
const insertedValue = (name: keyof NotificationRow) =>
  name === 'appId'
    ? '"advanced"."appId"'
    : name === 'feedPosition'
      ? '"advanced"."before" + "input"."rank" + 1'
      : `"input"."${name}"`;

/**
 * The columns of a written notification that the statement decides (its id and creation time when it
 * replaced one, its feed's, its position), the only ones it answers: every other column is what the post
 * sent (a replace sets them all), so the answer is that row with these. Answering every column cost
 * this process the parsing of 25 columns per post, dates included, that it already held.
 */
const WRITTEN_HERE = [
  'id',
  'feedId',
  'appId',
  'feedPosition',
  'createdDateTime',
] as const satisfies ReadonlyArray<keyof NotificationRow>;

/**
 * The notification as written: the row the post sent, with WRITTEN_HERE from `raw` (a copy of a row made
 * as a literal is one allocation; setting its 23 columns one by one on `{}` grew it several times).
 */
function writtenRow(sent: NotificationRow, raw: Record<string, unknown>): NotificationRow {
  return {
    ...sent,
    id: raw.id as string,
    feedId: raw.feedId as string,
    appId: raw.appId as string,
    feedPosition: Number(raw.feedPosition),
    createdDateTime: raw.createdDateTime as Date,
  };
}

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
    '$3::text[]',
    '$4::text[]',
    ...GIVEN_NAMES.map((name, i) => `$${5 + i}::${castOf(name)}[]`),
  ];
  const given = GIVEN_NAMES.map((name) => `"${name}"`).join(', ');
  const feedOf = 'COALESCE("given"."feedId", "device"."feedId")';
  return `${BATCH_STATEMENT_MARK} WITH "given" ("id", "feedId", "unsid", "appId", ${given}, "ordinal") AS (
      SELECT * FROM unnest(${arrays.join(', ')}) WITH ORDINALITY),
    "input" AS (SELECT "given"."id", ${feedOf} AS "feedId",
        CAST(row_number() OVER (PARTITION BY ${feedOf} ORDER BY "given"."ordinal") - 1 AS INTEGER) AS "rank",
        ${GIVEN_NAMES.map((name) => `"given"."${name}"`).join(', ')}
      FROM "given"
      LEFT JOIN ("DeviceSubscription" AS "device" JOIN "Feed" AS "owner" ON "owner"."id" = "device"."feedId")
        ON "device"."id" = "given"."unsid" AND "device"."expirationDateTime" > "given"."${NOW_NAME}"
        AND "owner"."appId" = "given"."appId"
      WHERE ${feedOf} IS NOT NULL),
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
      RETURNING ${WRITTEN_HERE.map((name) => `"${name}"`).join(', ')}, "appNotificationId"),
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
    SELECT ${WRITTEN_HERE.map((name) => `"${name}"`).join(', ')}, "postedId", "epoch" FROM "posted"`;
})();

/**
 * Where a post of the statement goes: a feed known by id, or the feed of a UNSID that the statement checks
 * the app may use; null: nowhere (the post answers null).
 */
export type BatchTarget =
  | { readonly feedId: string }
  | { readonly deviceSubscriptionId: string; readonly appId: string }
  | null;

/** PostgreSQL's cardinality_violation: an INSERT … ON CONFLICT DO UPDATE met one key twice. */
const ONE_KEY_TWICE = '21000';

/**
 * Writes `requests` (whose targets are `targets`: null for a post that answers null) through `send`, one
 * statement committed on its own; answers per request its change or null, as writePosts does. Answers
 * null instead, writing nothing, when the batch names one key twice.
 */
export async function writeInOneStatement(
  send: (columns: unknown[][]) => Promise<Array<Record<string, unknown>>>,
  requests: readonly PostRequest[],
  targets: readonly BatchTarget[],
): Promise<Array<Change | null> | null> {
  const keys = new Set<string>();
  const posted: Array<{ id: string; at: number; sent: NotificationRow }> = [];
  // One array per column of the statement's input (BATCH_STATEMENT's parameters).
  const columns: unknown[][] = Array.from({ length: WIDTH }, () => []);
  for (const [at, request] of requests.entries()) {
    const target = targets[at];
    if (!target) continue;
    const byFeed = 'feedId' in target;
    // A UNSID's feed is known only to the statement: two UNSIDs of one feed with one key are its to refuse.
    const key = `${byFeed ? target.feedId : `\u0001${target.deviceSubscriptionId}`}\u0000${request.content.appNotificationId}`;
    if (keys.has(key)) return null;
    keys.add(key);
    const id = timeOrderedId();
    // Checked before anything is sent, as the transactional writer checks: a value that does not fit its
    // column fails the batch with nothing written. The feed's columns are placeholders here.
    const sent: NotificationRow = {
      id,
      feedId: '',
      appId: '',
      createdDateTime: request.now,
      ...columnsOf(request, 0),
    };
    const row = rowValues('Notification', NOTIFICATION_COLUMNS, sent);
    (columns[0] as unknown[]).push(id);
    (columns[1] as unknown[]).push(byFeed ? target.feedId : null);
    (columns[2] as unknown[]).push(byFeed ? null : target.deviceSubscriptionId);
    (columns[3] as unknown[]).push(byFeed ? null : target.appId);
    for (const [c, i] of GIVEN_AT.entries()) (columns[4 + c] as unknown[]).push(toPostgres(row[i]));
    posted.push({ id, at, sent });
  }
  const answers: Array<Change | null> = requests.map(() => null);
  if (posted.length === 0) return answers;
  let rows: Array<Record<string, unknown>>;
  try {
    rows = await send(columns);
  } catch (error) {
    // Refused as a whole, nothing written: the caller writes the batch the transactional way.
    if ((error as { code?: unknown }).code === ONE_KEY_TWICE) return null;
    throw error;
  }
  // From here the posts are committed: a failure to read the answer (not expected: the values are our
  // own) must not have them written again one by one (group commit retries a batch's posts alone after an
  // error one of them may have caused): it is the outcome-unknown case of a connection lost in a commit.
  try {
    const byId = new Map(rows.map((raw) => [raw.postedId as string, raw]));
    for (const { id, at, sent } of posted) {
      const raw = byId.get(id);
      // A feed named by id that does not exist, or a UNSID the app may not use: nothing written, null,
      // as writePosts answers.
      if (!raw) continue;
      const row = writtenRow(sent, raw);
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
