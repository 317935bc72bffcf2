import { createHash } from 'node:crypto';
import pg from 'pg';
import { resolveFeeds, writePosts } from './post-notifications.js';
import type { PostStatements } from './post-statements.js';
import { BATCH_STATEMENT, type BatchTarget, writeInOneStatement } from './postgres-batch-statement.js';
import { commitsOnItsOwn, type PostgresBounds } from './postgres-pool.js';
import { notificationRowOf, TYPES, toPostgres } from './postgres-values.js';
import type { DirectWrites } from './prisma-client.js';
import {
  CHANGE_COLUMNS,
  columnList,
  DELIVERY_MARK_COLUMNS,
  NOTIFICATION_COLUMNS,
  NOTIFICATION_NAMES,
  REPLACED_NAMES,
  replacedValues,
  rowsValues,
} from './raw-insert.js';
import type { PostRequest } from './types.js';
import { POSTS_OUTCOME_UNKNOWN } from './unavailable.js';

// The write path that leaves Prisma on PostgreSQL, as sqlite-post-writer.ts does on SQLite: a batch of
// posts, and a flush of delivery marks. Through Prisma's raw queries a post cost 2.8x the same SQL on
// node-postgres (bench write-floor): its request pipeline, parameter rendering, and every statement
// parsed and planned anew. Here the statements run on a connection of the very pool Prisma's adapter
// uses (so every bound of postgres-pool.ts holds), as named prepared statements: each shape is parsed
// once per connection. What is written is decided by post-notifications.ts; the contract tests cover it.
// Named statements live on the server session: a pooler in transaction mode between the gateway and
// PostgreSQL must keep them (PgBouncer 1.21+ with max_prepared_statements), or be in session mode.

/** Raised when a transaction outlives its bound; its connection is destroyed, so its locks are freed. */
export class TransactionTimeoutError extends Error {
  override name = 'TransactionTimeoutError';
  /** Read by isStoreUnavailable (SERVICE_UNAVAILABLE): the database is too slow to answer in time. */
  readonly code = 'DB_TRANSACTION_TIMEOUT';
}

/** `$first, $first+1, …`: `count` placeholders. */
const placeholders = (count: number, first = 1) =>
  Array.from({ length: count }, (_, i) => `$${first + i}`).join(', ');
const rowsOf = (width: number, count: number) =>
  Array.from({ length: count }, (_, row) => `(${placeholders(width, row * width + 1)})`).join(', ');

const REPLACE_SQL = `UPDATE "Notification" SET ${REPLACED_NAMES.map((name, i) => `"${name}" = $${i + 1}`).join(', ')}
  WHERE "id" = $${REPLACED_NAMES.length + 1} RETURNING ${columnList(NOTIFICATION_COLUMNS)}`;
// The columns named, not `*`: PostgreSQL refuses to run a prepared statement again once its result's
// columns changed ("cached plan must not change result type"), e.g. after a rolling upgrade's migration
// adds one while older processes still run.

/** A prepared statement's name: one per distinct text, the same in every process and on every connection. */
const nameOf = (text: string) => `tidings_${createHash('sha1').update(text).digest('hex').slice(0, 20)}`;

/**
 * Writes on connections of `pool` (the Prisma adapter's), each call committed before it resolves:
 * batches of posts and delivery marks. A batch of posts is one statement committed on its own
 * (postgres-batch-statement.ts), alone unless a post names a user by id (then after a read of the feeds:
 * batchTargets), bounded by `statement_timeout` on the server,
 * when that bound is within the transaction bound; otherwise, and for what one statement cannot write,
 * a transaction (see writePosts). A transaction longer than `transactionTimeoutMs` (Prisma's interactive
 * transactions have the same bound) fails with TransactionTimeoutError and its connection is destroyed,
 * which rolls it back on the server. `onQuery` is told every statement as Prisma's query log told them
 * (all but BEGIN).
 */
export function createPostgresDirectWrites(
  pool: pg.Pool,
  bounds: Pick<PostgresBounds, 'statementTimeoutMs' | 'transactionTimeoutMs'>,
  onQuery?: (sql: string) => void,
): DirectWrites {
  const { transactionTimeoutMs } = bounds;
  const names = new Map<string, string>();
  // A statement committed on its own cannot be stopped by the client once sent without the risk of
  // reporting a failure for what the server committed: the server's own bound must be the tighter one.
  const oneStatementBounded = bounds.statementTimeoutMs <= transactionTimeoutMs;

  /** Runs statements on `client`, each prepared on its connection once. */
  const runOn =
    (client: pg.PoolClient): Run =>
    async (text, values = [], committing = false) => {
      onQuery?.(text);
      let name = names.get(text);
      if (!name && !unnamed.has(text)) {
        name = nameOf(text);
        names.set(text, name);
      }
      // node-postgres only reads the values; its type asks for a mutable array.
      const config: pg.QueryConfig = { text, values: values as unknown[], types: TYPES };
      if (name) config.name = name;
      return (await client.query(committing ? commitsOnItsOwn(config) : config)).rows;
    };

  /** Statements outside a transaction, each committed on its own, on one connection of the pool. */
  async function onConnection<T>(work: (run: Run) => Promise<T>): Promise<T> {
    const client = await pool.connect();
    let broken: Error | undefined;
    const onError = (error: Error) => {
      broken = error;
    };
    client.on('error', onError);
    try {
      const result = await work(runOn(client));
      client.removeListener('error', onError);
      client.release();
      return result;
    } catch (error) {
      // A statement the server refused (an ERROR, not a FATAL that ends the session), or a value refused
      // before anything was sent, leaves the connection usable: nothing is open on it. Any other failure
      // is the connection's: the pool drops it, and the listener stays, for the 'error' event that may
      // follow the failed statement.
      // So does a batch whose answer could not be read after the connection gave it.
      const refused =
        (error instanceof pg.DatabaseError && error.severity === 'ERROR') ||
        error instanceof TypeError ||
        (error as { code?: unknown }).code === POSTS_OUTCOME_UNKNOWN;
      if (!broken && refused) {
        client.removeListener('error', onError);
        client.release();
      } else {
        client.release((broken ?? error) as Error);
      }
      throw error;
    }
  }

  async function inTransaction<T>(work: (run: Run) => Promise<T>): Promise<T> {
    const client = await pool.connect();
    // A checked-out client has no listener of the pool's: without one a connection error between two
    // statements would be thrown as an uncaught 'error' event. The statement under way fails with it.
    let broken: Error | undefined;
    const onError = (error: Error) => {
      broken = error;
    };
    client.on('error', onError);
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      // The statement under way may be waiting for a lock: only closing the connection stops it at once.
      client.connection.stream.destroy(
        new TransactionTimeoutError(`A write transaction took more than ${transactionTimeoutMs} ms.`),
      );
    }, transactionTimeoutMs);
    timer.unref();
    const run = runOn(client);
    const finish = (error?: Error) => {
      clearTimeout(timer);
      client.removeListener('error', onError);
      // With an error, the pool destroys the connection instead of keeping it.
      client.release(error);
    };
    try {
      // Not told to onQuery: Prisma's query log on PostgreSQL does not show BEGIN either, and the
      // statement counts a caller sees stay what they were through Prisma.
      await client.query('BEGIN');
      const result = await work(run);
      // The bound ends here: past this point destroying the connection could report a failure for a
      // transaction the server commits (a slow fsync, a synchronous standby), and a retried post would be
      // logged twice. COMMIT is bounded like every statement (statement_timeout, a silent connection).
      clearTimeout(timer);
      onQuery?.('COMMIT');
      await client.query('COMMIT');
      finish();
      return result;
    } catch (error) {
      const failure = timedOut
        ? new TransactionTimeoutError(`A write transaction took more than ${transactionTimeoutMs} ms.`, {
            cause: error,
          })
        : error;
      if (timedOut || broken) {
        finish(failure as Error);
        throw failure;
      }
      try {
        onQuery?.('ROLLBACK');
        await client.query('ROLLBACK');
        finish();
      } catch (rollbackFailed) {
        finish(rollbackFailed as Error);
      }
      throw failure;
    }
  }

  return {
    async writePosts(requests) {
      const inOne = oneStatementBounded
        ? await onConnection(async (run) => {
            const targets = await batchTargets(postStatements(run), requests);
            if (!targets) return null;
            return writeInOneStatement((columns) => run(BATCH_STATEMENT, columns, true), requests, targets);
          })
        : null;
      return inOne ?? inTransaction((run) => writePosts(postStatements(run), requests));
    },
    // What delivery-store.ts does through Prisma, in three statement shapes instead of one per mark.
    recordDeliveryMarks: (marks, kind) =>
      inTransaction(async (run) => {
        const ids = [...new Set(marks.map((mark) => mark.deviceSubscriptionId))];
        // A device may have been deleted since it received: its marks have nowhere to go.
        const live = new Set(
          (await run(textOf('liveDevices', ids.length), ids)).map((row) => row.id as string),
        );
        const kept = marks.filter((mark) => live.has(mark.deviceSubscriptionId));
        if (kept.length === 0) return;
        await run(
          textOf('insertDeliveryMarks', kept.length),
          rowsValues(
            'DeliveryMark',
            DELIVERY_MARK_COLUMNS,
            kept.map((mark) => ({ ...mark, kind })),
            toPostgres,
          ),
        );
        if (kind === 'ACKNOWLEDGED') {
          for (const mark of kept) {
            await run(
              'UPDATE "DeviceSubscription" SET "ackedOffset" = $1 WHERE "id" = $2 AND "ackedOffset" < $1',
              [mark.offset, mark.deviceSubscriptionId],
            );
          }
        }
      }),
  };
}

/**
 * Where each post of a batch written in one statement goes. A post names its feed, or a UNSID whose feed
 * and usability the statement itself finds (no read before it); a post to a user by id needs its feed
 * read first: then every post's feed is read (resolveFeeds, devices included) as the transaction reads
 * them. Answers null, for the transactional way, when a user has no feed yet (it is created with the post,
 * so that a failed post leaves no feed behind).
 */
async function batchTargets(
  statements: PostStatements,
  requests: readonly PostRequest[],
): Promise<BatchTarget[] | null> {
  if (!requests.some((request) => 'owner' in request.target)) {
    return requests.map(({ target }) => ('owner' in target ? null : target));
  }
  // Read before the write, as the transaction reads them before its feeds' lock: a plain read holds
  // nothing either way (READ COMMITTED).
  const feedIds = await resolveFeeds(statements, requests, false);
  if (requests.some((request, i) => 'owner' in request.target && !feedIds[i])) return null;
  return feedIds.map((feedId) => (feedId ? { feedId } : null));
}

/** Runs one statement; `committing`: it commits on its own (outside a transaction), see commitsOnItsOwn. */
type Run = (
  text: string,
  values?: readonly unknown[],
  committing?: boolean,
) => Promise<Array<Record<string, unknown>>>;

/** The text of each statement whose shape depends on how many rows (or values) it has. */
const SQL = {
  liveDevices: (n: number) => `SELECT "id" FROM "DeviceSubscription" WHERE "id" IN (${placeholders(n)})`,
  insertDeliveryMarks: (n: number) =>
    `INSERT INTO "DeliveryMark" (${columnList(DELIVERY_MARK_COLUMNS)})
    VALUES ${rowsOf(Object.keys(DELIVERY_MARK_COLUMNS).length, n)}`,
  devices: (n: number) =>
    `SELECT "DeviceSubscription"."id", "feedId", "expirationDateTime", "appId", "issuer", "subject"
    FROM "DeviceSubscription" JOIN "Feed" ON "Feed"."id" = "DeviceSubscription"."feedId"
    WHERE "DeviceSubscription"."id" IN (${placeholders(n)})`,
  feeds: (n: number) =>
    `SELECT "id", "appId", "issuer", "subject" FROM "Feed" WHERE ${Array.from(
      { length: n },
      (_, i) => `("appId" = $${3 * i + 1} AND "issuer" = $${3 * i + 2} AND "subject" = $${3 * i + 3})`,
    ).join(' OR ')}`,
  insertFeedsIfMissing: (n: number) =>
    `INSERT INTO "Feed" ("id", "appId", "issuer", "subject", "epoch") VALUES ${rowsOf(5, n)}
    ON CONFLICT ("appId", "issuer", "subject") DO NOTHING`,
  // Locks the feeds in id order (two batches of overlapping feeds queue, never deadlock), then
  // advances each by its count. Values: (id, count) per feed, then the ids.
  advanceFeeds: (n: number) =>
    `WITH "locked" AS (SELECT "id" FROM "Feed" WHERE "id" IN (${placeholders(n, 2 * n + 1)})
      ORDER BY "id" FOR UPDATE)
    UPDATE "Feed" SET "lastOffset" = "lastOffset" + CASE "Feed"."id" ${Array.from(
      { length: n },
      (_, i) => `WHEN $${2 * i + 1} THEN CAST($${2 * i + 2} AS INTEGER)`,
    ).join(' ')} END
    FROM "locked" WHERE "Feed"."id" = "locked"."id"
    RETURNING "Feed"."id", "Feed"."lastOffset", "Feed"."epoch", "Feed"."appId"`,
  existingKeys: (n: number) =>
    `SELECT "id", "feedId", "appNotificationId" FROM "Notification" WHERE ${Array.from(
      { length: n },
      (_, i) => `("feedId" = $${2 * i + 1} AND "appNotificationId" = $${2 * i + 2})`,
    ).join(' OR ')}`,
  insertNotifications: (n: number) =>
    `INSERT INTO "Notification" (${columnList(NOTIFICATION_COLUMNS)})
    VALUES ${rowsOf(NOTIFICATION_NAMES.length, n)}`,
  insertChanges: (n: number) =>
    `INSERT INTO "Change" (${columnList(CHANGE_COLUMNS)}) VALUES ${rowsOf(Object.keys(CHANGE_COLUMNS).length, n)}`,
} satisfies Record<string, (count: number) => string>;

/**
 * A statement's text for `count` rows, built once per count: the texts are long (a batch of 100
 * notifications has 2,300 placeholders) and every batch of that size runs the same ones. Counts are
 * bounded by the batch sizes (group commit's maximum, a delivery-marks flush).
 */
const texts = new Map<string, string>();
function textOf(statement: keyof typeof SQL, count: number): string {
  const key = `${statement} ${count}`;
  let text = texts.get(key);
  if (text === undefined) {
    text = SQL[statement](count);
    texts.set(key, text);
    if (count > NAMED_UP_TO_ROWS) unnamed.add(text);
  }
  return text;
}

/**
 * Statements of more rows than this are sent unnamed (parsed each time, as Prisma's adapter sends every
 * one): a named statement is kept by every pooled server process, with its plan, and one per shape and
 * row count up to a batch of 100 grew a server process by tens of MB. Small batches, the common ones,
 * stay prepared.
 */
const NAMED_UP_TO_ROWS = 16;
const unnamed = new Set<string>();

/** The statements of a batch, as prismaPostStatements writes them for PostgreSQL. */
function postStatements(run: Run): PostStatements {
  return {
    async devices(unsids) {
      const rows = await run(textOf('devices', unsids.length), unsids);
      return rows as unknown as Awaited<ReturnType<PostStatements['devices']>>;
    },
    async feeds(owners) {
      const rows = await run(
        textOf('feeds', owners.length),
        owners.flatMap((owner) => [owner.appId, owner.issuer, owner.subject]),
      );
      return rows as Array<{ id: string; appId: string; issuer: string; subject: string }>;
    },
    async insertFeedsIfMissing(rows) {
      await run(
        textOf('insertFeedsIfMissing', rows.length),
        rows.flatMap((row) => [row.id, row.appId, row.issuer, row.subject, row.epoch]),
      );
    },
    async advanceFeeds(counts) {
      const rows = await run(textOf('advanceFeeds', counts.size), [...[...counts].flat(), ...counts.keys()]);
      return rows as Array<{ id: string; lastOffset: number; epoch: string; appId: string }>;
    },
    async existingKeys(keys) {
      const rows = await run(
        textOf('existingKeys', keys.length),
        keys.flatMap((key) => [key.feedId, key.appNotificationId]),
      );
      return rows as Array<{ id: string; feedId: string; appNotificationId: string }>;
    },
    async insertNotifications(rows) {
      // Checked before anything is sent: a value that does not fit fails the batch, nothing written.
      const values = rowsValues('Notification', NOTIFICATION_COLUMNS, rows, toPostgres);
      await run(textOf('insertNotifications', rows.length), values);
    },
    async replaceNotification(id, data) {
      const values = replacedValues(data).map(toPostgres);
      const [raw] = await run(REPLACE_SQL, [...values, id]);
      if (!raw) throw new Error(`Notification ${id} vanished inside its feed's transaction.`);
      return notificationRowOf(raw);
    },
    async insertChanges(rows) {
      const values = rowsValues('Change', CHANGE_COLUMNS, rows, toPostgres);
      await run(textOf('insertChanges', rows.length), values);
    },
  };
}
