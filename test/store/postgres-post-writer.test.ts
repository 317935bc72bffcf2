import pg from 'pg';
import { beforeAll, describe, expect, it } from 'vitest';
import { registerApp } from '../../src/auth/register-app.js';
import { loadConfig } from '../../src/config/config.js';
import { createStore } from '../../src/store/create-store.js';
import { parsePostgresUrl, searchPathOption } from '../../src/store/migrations/apply-postgres-migrations.js';
import { BATCH_STATEMENT_MARK } from '../../src/store/postgres-batch-statement.js';
import { createPostgresPool, type PostgresBounds } from '../../src/store/postgres-pool.js';
import { createPostgresDirectWrites } from '../../src/store/postgres-post-writer.js';
import { WARM_POSTGRES_CONNECTIONS as WARM_CONNECTIONS } from '../../src/store/postgres-store.js';
import type { PostRequest, Store } from '../../src/store/types.js';
import { isStoreUnavailable } from '../../src/store/unavailable.js';
import { onCleanup } from '../support/cleanup.js';
import { temporaryDataDir } from '../support/gateway.js';
import { notificationContent } from '../support/notification-content.js';
import { connectPostgres, createTestSchema } from '../support/postgres.js';
import { createWebDevice } from '../support/store-devices.js';

const HOST = 'writer.example.com';
const BOUNDS: PostgresBounds = {
  connectTimeoutMs: 5000,
  statementTimeoutMs: 10_000,
  transactionTimeoutMs: 10_000,
};

// What the contract tests cannot see of the PostgreSQL writer (postgres-post-writer.ts): its prepared
// statements, its transaction bound and how it gives back a broken connection. Always on PostgreSQL
// (vitest.config.ts runs it once). The store (migrated, with an app and a user's device) gives the
// feed; the writer under test runs on a pool of its own on the same schema, so the test sees that pool.
describe('the PostgreSQL write path on node-postgres', () => {
  let store: Store;
  let schema: string;
  let url: string;
  let feedId: string;
  let appId: string;
  let unsid: string;

  beforeAll(async () => {
    ({ url, schema } = await createTestSchema());
    store = await createStore(loadConfig({ DATABASE_URL: url }, { dataDir: temporaryDataDir() }));
    onCleanup(() => store.close());
    ({
      app: { id: appId },
    } = await registerApp(store, { targetHostName: HOST }));
    ({ feedId, id: unsid } = await createWebDevice(store, appId, 'alice'));
  });

  /** A pool on the test's schema, bounded as the store's, and the writer on it. */
  function writerOnPool(bounds = BOUNDS) {
    const { connectionString } = parsePostgresUrl(url);
    const pool = createPostgresPool({ connectionString, options: searchPathOption(schema) }, bounds, {
      warmConnections: WARM_CONNECTIONS,
    });
    onCleanup(() => pool.end());
    const statements: string[] = [];
    const writes = createPostgresDirectWrites(pool, bounds, (sql) => statements.push(sql));
    return { pool, writes, statements };
  }

  const posts = (keys: readonly string[]): PostRequest[] =>
    keys.map((key) => ({ target: { feedId }, content: notificationContent(HOST, key), now: new Date() }));

  it('prepares each statement once per connection and writes a batch of posts in one statement', async () => {
    const { pool, writes, statements } = writerOnPool();
    const prepared = async () =>
      (await pool.query("SELECT name FROM pg_prepared_statements WHERE name LIKE 'tidings_%' ORDER BY name"))
        .rows;

    // To a feed by id: nothing to read first, the batch is one statement committed on its own (lock and
    // advance the feed, write the notification, log it). Transactional, it was 5 (and a BEGIN).
    await writes.writePosts(posts(['prepared-1']));
    expect(statements).toHaveLength(1);
    const afterFirst = await prepared();
    expect(afterFirst).toHaveLength(1);

    statements.length = 0;
    await writes.writePosts(posts(['prepared-2']));
    expect(statements).toHaveLength(1);
    // The same shapes again: nothing new prepared, on the one connection the pool opened.
    expect(await prepared()).toEqual(afterFirst);
    expect(pool.totalCount).toBe(1);
    // Batches of other sizes: still the one statement (its rows come from arrays), not one per size.
    await writes.writePosts(posts(['prepared-3', 'prepared-4', 'prepared-5']));
    await writes.writePosts(posts(Array.from({ length: 7 }, (_, i) => `prepared-batch-${i}`)));
    expect(await prepared()).toEqual(afterFirst);

    // To UNSIDs: the statement finds their feed (no read before it), created and replaced alike.
    statements.length = 0;
    const byUnsid = (key: string): PostRequest => ({
      target: { deviceSubscriptionId: unsid, appId },
      content: notificationContent(HOST, key),
      now: new Date(),
    });
    const [created, replaced] = await writes.writePosts([byUnsid('unsid-1'), byUnsid('prepared-1')]);
    expect(statements).toHaveLength(1);
    expect(await prepared()).toEqual(afterFirst);
    expect(created).toMatchObject({ kind: 'CREATED', feedId });
    expect(replaced).toMatchObject({ kind: 'REPLACED', offset: (created?.offset ?? 0) + 1 });
    expect(await store.readChanges(feedId, (created?.offset ?? 0) - 1, 10)).toEqual([created, replaced]);
  });

  it('writes a post through a UNSID only if its app may use it at the time of the post, in the one statement', async () => {
    const { writes, statements } = writerOnPool();
    const own = await createWebDevice(store, appId, 'unsid-rule');
    const { app: other } = await registerApp(store, { targetHostName: 'other-app.example.com' });
    const othersDevice = await createWebDevice(store, other.id, 'unsid-rule');
    const expires = own.expirationDateTime.getTime();
    const post = (unsid: string, key: string, now: number, app = appId): PostRequest => ({
      target: { deviceSubscriptionId: unsid, appId: app },
      content: notificationContent(HOST, key),
      now: new Date(now),
    });
    const answers = await writes.writePosts([
      post(own.id, 'rule-last-moment', expires - 1),
      post(own.id, 'rule-expired', expires),
      post(othersDevice.id, 'rule-other-app', expires - 1),
      post('unsid-nobody-has', 'rule-unknown', expires - 1),
      post(othersDevice.id, 'rule-its-own-app', expires - 1, other.id),
    ]);
    expect(statements).toHaveLength(1);
    // The rule of mayUseDevice: the device exists, belongs to a user of the app, and has not expired.
    expect(answers.map((answer) => answer?.kind ?? null)).toEqual(['CREATED', null, null, null, 'CREATED']);
    expect(answers[0]).toMatchObject({ feedId: own.feedId, offset: 1 });
    expect(answers[4]).toMatchObject({ feedId: othersDevice.feedId, offset: 1 });
    // Nothing of the refused posts is written: each feed holds its one change.
    expect(await store.readChanges(own.feedId, 0, 10)).toEqual([answers[0]]);
    expect(await store.readChanges(othersDevice.feedId, 0, 10)).toEqual([answers[4]]);
  });

  it('writes one key named through two UNSIDs of one feed the transactional way: a create, then a replace', async () => {
    const { writes, statements } = writerOnPool();
    const phone = await createWebDevice(store, appId, 'two-devices');
    const laptop = await createWebDevice(store, appId, 'two-devices');
    expect(laptop.feedId).toBe(phone.feedId);
    const post = (unsid: string): PostRequest => ({
      target: { deviceSubscriptionId: unsid, appId },
      content: notificationContent(HOST, 'same-key'),
      now: new Date(),
    });
    const [created, replaced] = await writes.writePosts([post(phone.id), post(laptop.id)]);
    // The statement met the key twice and was refused, nothing written; the transaction wrote both.
    expect(statements[0]?.startsWith(BATCH_STATEMENT_MARK)).toBe(true);
    expect(statements.at(-1)).toBe('COMMIT');
    expect(created).toMatchObject({ kind: 'CREATED', feedId: phone.feedId, offset: 1 });
    expect(replaced).toMatchObject({ kind: 'REPLACED', offset: 2 });
    expect(replaced?.notification.id).toBe(created?.notification.id);
    expect(await store.readChanges(phone.feedId, 0, 10)).toMatchObject([
      { offset: 1, kind: 'CREATED' },
      { offset: 2, kind: 'REPLACED', notification: replaced?.notification },
    ]);
  });

  it('replaces what a writer holding the feed committed meanwhile, with its key (never fails on it)', async () => {
    const { writes } = writerOnPool();
    const device = await createWebDevice(store, appId, 'lock-holder');
    // Another process holds the feed's row and creates the notification the post then names.
    const other = await connectPostgres(url);
    await other.query(`SET search_path TO ${pg.escapeIdentifier(schema)}`);
    await other.query('BEGIN');
    await other.query('UPDATE "Feed" SET "lastOffset" = "lastOffset" + 1 WHERE "id" = $1', [device.feedId]);
    const waiting = writes.writePosts([
      { target: { feedId: device.feedId }, content: notificationContent(HOST, 'raced'), now: new Date() },
    ]);
    // The post's statement began before the other commits: it waits for the feed, its snapshot older.
    // Watched from a third connection: inside the other's transaction pg_stat_activity stays as first read.
    const otherPid = (await other.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]?.pid;
    const watcher = await connectPostgres(url);
    await expect
      .poll(
        async () =>
          (
            await watcher.query('SELECT pid FROM pg_stat_activity WHERE $1 = ANY(pg_blocking_pids(pid))', [
              otherPid,
            ])
          ).rows.length,
      )
      .toBe(1);
    await other.query(
      `INSERT INTO "Notification" ("id", "feedId", "appId", "appNotificationId", "targetHostName", "feedPosition",
        "priority", "platformTypes", "expirationDateTime", "readState", "userActionState", "status",
        "createdDateTime", "lastModifiedDateTime")
      SELECT 'held-by-other', "id", "appId", 'raced', $2, "lastOffset", 'NONE', '[]', now() + interval '1 day',
        'UNREAD', 'NO_INTERACTION', 'ACTIVE', now(), now() FROM "Feed" WHERE "id" = $1`,
      [device.feedId, HOST],
    );
    await other.query(
      `INSERT INTO "Change" ("feedId", "offset", "kind", "notificationId", "createdAt")
      SELECT "id", "lastOffset", 'CREATED', 'held-by-other', now() FROM "Feed" WHERE "id" = $1`,
      [device.feedId],
    );
    await other.query('COMMIT');
    const [replaced] = await waiting;
    expect(replaced).toMatchObject({ kind: 'REPLACED', offset: 2 });
    expect(replaced?.notification.id).toBe('held-by-other');
    expect(await store.readChanges(device.feedId, 0, 10)).toMatchObject([
      { offset: 1, kind: 'CREATED' },
      { offset: 2, kind: 'REPLACED', notification: { id: 'held-by-other' } },
    ]);
  });

  it('fails a batch past statement_timeout as unavailable, nothing committed, and the connection goes on', async () => {
    const { pool, writes } = writerOnPool({ ...BOUNDS, statementTimeoutMs: 500 });
    const device = await createWebDevice(store, appId, 'statement-bound');
    const other = await connectPostgres(url);
    await other.query(`SET search_path TO ${pg.escapeIdentifier(schema)}`);
    await other.query('BEGIN');
    await other.query('SELECT * FROM "Feed" WHERE "id" = $1 FOR UPDATE', [device.feedId]);
    const post = (key: string) =>
      writes.writePosts([
        { target: { feedId: device.feedId }, content: notificationContent(HOST, key), now: new Date() },
      ]);
    const failed = await post('statement-bound').catch((error: unknown) => error);
    expect((failed as { code?: string }).code).toBe('57014');
    expect(isStoreUnavailable(failed)).toBe(true);
    await other.query('ROLLBACK');
    expect(await store.findNotificationByAppId(device.feedId, 'statement-bound')).toBeNull();
    const [next] = await post('statement-after');
    expect(next).toMatchObject({ kind: 'CREATED', offset: 1 });
    expect(pool.totalCount).toBe(1);
  });

  it('gives a batch committed on its own time to commit past its statement bound: a slow commit is no failure', async () => {
    // statement_timeout stops before the commit. A commit slower than the statement's silence bound (a
    // slow disk, a synchronous standby: here a deferred trigger that runs inside COMMIT) once made the
    // client drop the connection and report a failure for a committed post.
    const bounds = { ...BOUNDS, statementTimeoutMs: 1000, transactionTimeoutMs: 1000 };
    const { writes } = writerOnPool(bounds);
    const device = await createWebDevice(store, appId, 'slow-commit');
    const db = await connectPostgres(url);
    await db.query(`SET search_path TO ${pg.escapeIdentifier(schema)}`);
    await db.query(
      'CREATE FUNCTION slow_commit() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN PERFORM pg_sleep(2.5); RETURN NULL; END $$',
    );
    await db.query(
      'CREATE CONSTRAINT TRIGGER slow_commit AFTER INSERT ON "Change" DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION slow_commit()',
    );
    try {
      const [posted] = await writes.writePosts([
        {
          target: { feedId: device.feedId },
          content: notificationContent(HOST, 'slow-commit'),
          now: new Date(),
        },
      ]);
      expect(posted).toMatchObject({ kind: 'CREATED', offset: 1 });
    } finally {
      await db.query('DROP TRIGGER slow_commit ON "Change"');
      await db.query('DROP FUNCTION slow_commit()');
    }
    expect(await store.findNotificationByAppId(device.feedId, 'slow-commit')).not.toBeNull();
  });

  it('fails a post whose last statement fails: nothing committed, the offset unchanged, the connection goes on', async () => {
    const { pool, writes } = writerOnPool();
    const device = await createWebDevice(store, appId, 'last-statement');
    const post = (key: string) =>
      writes.writePosts([
        { target: { feedId: device.feedId }, content: notificationContent(HOST, key), now: new Date() },
      ]);
    const [first] = await post('last-first');
    // A log entry at the offset the next post takes: its change, the transaction's last statement, fails.
    await pool.query(
      `INSERT INTO "Change" ("feedId", "offset", "kind", "notificationId", "createdAt") VALUES ($1, $2, 'CREATED', $3, now())`,
      [device.feedId, (first?.offset ?? 0) + 1, first?.notification.id],
    );
    const failed = await post('last-lost').catch((error: unknown) => error);
    expect((failed as { code?: string }).code).toBe('23505');
    expect(await store.findNotificationByAppId(device.feedId, 'last-lost')).toBeNull();
    expect((await store.feedHead(device.feedId)).offset).toBe(first?.offset);

    // The same connection goes on, outside any transaction: the next post takes the offset.
    await pool.query(`DELETE FROM "Change" WHERE "feedId" = $1 AND "offset" = $2`, [
      device.feedId,
      (first?.offset ?? 0) + 1,
    ]);
    const [next] = await post('last-next');
    expect(next?.offset).toBe((first?.offset ?? 0) + 1);
    expect((await store.findNotificationByAppId(device.feedId, 'last-next'))?.id).toBe(next?.notification.id);
    expect(pool.totalCount).toBe(1);
  });

  it('answers what the model API then reads, to the millisecond', async () => {
    const { writes } = writerOnPool();
    const expires = new Date(Date.UTC(2031, 5, 7, 8, 9, 10, 123));
    const request = {
      target: { feedId },
      content: { ...notificationContent(HOST, 'exact'), expirationDateTime: expires, displayTimeToLive: 42 },
      now: new Date(Date.UTC(2030, 0, 2, 3, 4, 5, 678)),
    };
    const [created] = await writes.writePosts([request]);
    expect(created?.notification.expirationDateTime).toEqual(expires);
    expect(await store.findNotification(feedId, created?.notification.id as string)).toEqual(
      created?.notification,
    );
    // A replace reads its row back through this connection: it too must match the model API.
    const [replaced] = await writes.writePosts([
      { ...request, now: new Date(Date.UTC(2030, 0, 2, 3, 4, 6, 7)) },
    ]);
    expect(replaced?.kind).toBe('REPLACED');
    expect(replaced?.notification.createdDateTime).toEqual(request.now);
    expect(await store.findNotification(feedId, created?.notification.id as string)).toEqual(
      replaced?.notification,
    );
  });

  it('refuses a value that does not fit its column with nothing of the batch written, and goes on', async () => {
    const { writes } = writerOnPool();
    const before = await store.feedHead(feedId);
    // Refused here, before anything is sent: not a string.
    const wrongType = posts(['fits', 'ignored']);
    (wrongType[1] as { content: { appNotificationId: unknown } }).content.appNotificationId = 7;
    await expect(writes.writePosts(wrongType)).rejects.toThrow(TypeError);
    // Refused by PostgreSQL: an integer past the column's 32 bits.
    const tooBig = posts(['fits-too', 'too-big']);
    (tooBig[1] as { content: { displayTimeToLive: number } }).content.displayTimeToLive = 2 ** 40;
    const refused = await writes.writePosts(tooBig).catch((error: unknown) => error);
    expect((refused as { code?: string }).code).toBe('22003');
    expect(isStoreUnavailable(refused)).toBe(false);

    expect(await store.feedHead(feedId)).toEqual(before);
    expect(await store.findNotificationByAppId(feedId, 'fits')).toBeNull();
    expect(await store.findNotificationByAppId(feedId, 'fits-too')).toBeNull();
    const [next] = await writes.writePosts(posts(['after-refusal']));
    expect(next?.offset).toBe(before.offset + 1);
  });

  it("fails a transaction past its bound as unavailable, freeing its locks, and leaves the lock holder's work alone", async () => {
    const bounds = { ...BOUNDS, transactionTimeoutMs: 1000 };
    const { pool, writes } = writerOnPool(bounds);
    const before = await store.feedHead(feedId);
    // Another process holds the feed's row, longer than the transaction bound (shorter than a statement's).
    const other = await connectPostgres(url);
    await other.query(`SET search_path TO ${pg.escapeIdentifier(schema)}`);
    await other.query('BEGIN');
    await other.query('SELECT * FROM "Feed" WHERE "id" = $1 FOR UPDATE', [feedId]);

    const failed = await writes.writePosts(posts(['bounded'])).catch((error: unknown) => error);
    expect((failed as { code?: string }).code).toBe('DB_TRANSACTION_TIMEOUT');
    expect(isStoreUnavailable(failed)).toBe(true);
    // Its connection was destroyed, not given back mid-transaction.
    await expect.poll(() => pool.totalCount).toBe(0);

    // The lock holder's transaction goes on and commits what it wrote.
    await other.query('UPDATE "Feed" SET "purgedThrough" = "purgedThrough" WHERE "id" = $1', [feedId]);
    await other.query('COMMIT');
    expect(await store.feedHead(feedId)).toEqual(before);
    const [next] = await writes.writePosts(posts(['after-bound']));
    expect(next?.offset).toBe(before.offset + 1);
  });

  it('answers SERVICE_UNAVAILABLE through the store when a post outlives the transaction bound', async () => {
    const bounded = await createStore(
      loadConfig(
        {
          DATABASE_URL: url,
          TIDINGS_POSTGRES_TRANSACTION_TIMEOUT_MS: '1000',
          TIDINGS_POSTGRES_STATEMENT_TIMEOUT_MS: '10000',
        },
        { dataDir: temporaryDataDir() },
      ),
    );
    onCleanup(() => bounded.close());
    const other = await connectPostgres(url);
    await other.query(`SET search_path TO ${pg.escapeIdentifier(schema)}`);
    await other.query('BEGIN');
    await other.query('SELECT * FROM "Feed" WHERE "id" = $1 FOR UPDATE', [feedId]);
    const failed = await bounded
      .postNotification({
        target: { feedId },
        content: notificationContent(HOST, 'store-bound'),
        now: new Date(),
      })
      .catch((error: unknown) => error);
    expect((failed as { code?: string }).code).toBe('SERVICE_UNAVAILABLE');
    await other.query('ROLLBACK');
    expect(
      await bounded.postNotification({
        target: { feedId },
        content: notificationContent(HOST, 'store-after'),
        now: new Date(),
      }),
    ).toMatchObject({ kind: 'CREATED' });
  });

  it('gives back a connection that broke mid-transaction so the pool drops it, and the next write works', async () => {
    const { pool, writes } = writerOnPool();
    await writes.writePosts(posts(['warm']));
    const other = await connectPostgres(url);
    await other.query(`SET search_path TO ${pg.escapeIdentifier(schema)}`);
    await other.query('BEGIN');
    await other.query('SELECT * FROM "Feed" WHERE "id" = $1 FOR UPDATE', [feedId]);
    const waiting = writes.writePosts(posts(['broken'])).catch((error: unknown) => error);
    // The writer's connection, waiting for the lock: the server ends it (as a restart or a failover would).
    const blocked = async () =>
      (
        await other.query<{ pid: number }>(
          'SELECT pid FROM pg_stat_activity WHERE pg_backend_pid() = ANY(pg_blocking_pids(pid))',
        )
      ).rows;
    await expect.poll(async () => (await blocked()).length).toBe(1);
    await other.query('SELECT pg_terminate_backend($1)', [(await blocked())[0]?.pid]);
    const failed = await waiting;
    expect(isStoreUnavailable(failed)).toBe(true);
    await other.query('ROLLBACK');
    await expect.poll(() => pool.totalCount).toBe(0);
    const [next] = await writes.writePosts(posts(['after-break']));
    expect(next?.kind).toBe('CREATED');
  });

  it('records delivery marks of live devices only, and raises the acknowledged offset only upwards', async () => {
    const { writes } = writerOnPool();
    const at = new Date(Date.UTC(2030, 1, 3, 4, 5, 6, 789));
    const mark = (offset: number, deviceSubscriptionId = unsid) => ({
      deviceSubscriptionId,
      fromOffset: 0,
      offset,
      at,
    });
    await writes.recordDeliveryMarks([mark(2), mark(2, 'deleted-device')], 'DELIVERED');
    await writes.recordDeliveryMarks([mark(3)], 'ACKNOWLEDGED');
    await writes.recordDeliveryMarks([mark(1)], 'ACKNOWLEDGED');

    const other = await connectPostgres(url);
    await other.query(`SET search_path TO ${pg.escapeIdentifier(schema)}`);
    const marks = await other.query(
      `SELECT "deviceSubscriptionId", "kind", "fromOffset", "offset",
        (EXTRACT(EPOCH FROM "at") * 1000)::bigint::text AS "atMs" FROM "DeliveryMark" ORDER BY "id"`,
    );
    expect(marks.rows).toEqual(
      [
        ['DELIVERED', 2],
        ['ACKNOWLEDGED', 3],
        ['ACKNOWLEDGED', 1],
      ].map(([kind, offset]) => ({
        deviceSubscriptionId: unsid,
        kind,
        fromOffset: 0,
        offset,
        atMs: String(at.getTime()),
      })),
    );
    const device = await other.query('SELECT "ackedOffset" FROM "DeviceSubscription" WHERE "id" = $1', [
      unsid,
    ]);
    expect(device.rows).toEqual([{ ackedOffset: 3 }]);
  });
  it('keeps its warm connections open however long they idle, and closes the rest once idle', async () => {
    const idleTimeoutMs = 100;
    const { connectionString } = parsePostgresUrl(url);
    const pool = createPostgresPool({ connectionString, options: searchPathOption(schema) }, BOUNDS, {
      warmConnections: WARM_CONNECTIONS,
      idleTimeoutMs,
    });
    onCleanup(() => pool.end());
    let closed = 0;
    pool.on('remove', () => {
      closed += 1;
    });
    // A burst needing more connections at once than are kept warm, then a pause.
    const burst = await Promise.all(Array.from({ length: WARM_CONNECTIONS + 3 }, () => pool.connect()));
    const backendOf = async (client: pg.PoolClient) =>
      (await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]?.pid;
    const opened = new Set(await Promise.all(burst.map(backendOf)));
    for (const client of burst) client.release();
    // Every connection's idle timer was set by its release: one set now, as long, fires after them all.
    await new Promise((resolve) => setTimeout(resolve, idleTimeoutMs));
    await expect.poll(() => closed).toBe(3);
    expect(pool.totalCount).toBe(WARM_CONNECTIONS);

    // The next burst finds its connections open: the same server processes, none opened.
    const again = await Promise.all(Array.from({ length: WARM_CONNECTIONS }, () => pool.connect()));
    const reused = await Promise.all(again.map(backendOf));
    for (const client of again) client.release();
    expect(reused.every((pid) => opened.has(pid))).toBe(true);
    expect(new Set(reused).size).toBe(WARM_CONNECTIONS);
    expect(pool.totalCount).toBe(WARM_CONNECTIONS);
  });

  it('replaces again after a migration added a column: a prepared replace names its result columns', async () => {
    const { writes } = writerOnPool();
    await writes.writePosts(posts(['migrated']));
    // The replace is now a statement prepared on the pool's connection.
    expect((await writes.writePosts(posts(['migrated'])))[0]?.kind).toBe('REPLACED');
    const { connectionString } = parsePostgresUrl(url);
    const other = new pg.Client({ connectionString, options: searchPathOption(schema) });
    await other.connect();
    try {
      // Another process's migration, as in a rolling upgrade ("cached plan must not change result type").
      await other.query('ALTER TABLE "Notification" ADD COLUMN "addedByALaterVersion" TEXT');
      const [replaced] = await writes.writePosts(posts(['migrated']));
      expect(replaced?.kind).toBe('REPLACED');
      expect(replaced?.notification.appNotificationId).toBe('migrated');
    } finally {
      await other.query('ALTER TABLE "Notification" DROP COLUMN IF EXISTS "addedByALaterVersion"');
      await other.end();
    }
  });
});
