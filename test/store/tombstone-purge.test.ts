import pg from 'pg';
import { expect, it } from 'vitest';
import { registerApp } from '../../src/auth/register-app.js';
import { loadConfig } from '../../src/config/config.js';
import { createStore } from '../../src/store/create-store.js';
import { onCleanup } from '../support/cleanup.js';
import { temporaryDataDir } from '../support/gateway.js';
import { notificationContent } from '../support/notification-content.js';
import { connectPostgres, createTestSchema } from '../support/postgres.js';
import { createWebDevice } from '../support/store-devices.js';

const HOST = 'purge.example.com';
const DAY_MS = 86_400_000;

// The sweeper's purge of tombstones beside a post that revives one (posting a deleted notification's
// key again replaces it). A post locks its feed, reads which keys exist, then replaces by id: a tombstone
// deleted in between would be gone under it. Only PostgreSQL runs the two at once (SQLite has one
// writer), so this runs there (vitest.config.ts runs it once).
it("waits for a post holding a tombstone's feed, and leaves the tombstone it revived", async () => {
  const { url, schema } = await createTestSchema();
  const store = await createStore(loadConfig({ DATABASE_URL: url }, { dataDir: temporaryDataDir() }));
  onCleanup(() => store.close());
  const { app } = await registerApp(store, { targetHostName: HOST });
  const { feedId } = await createWebDevice(store, app.id, 'alice');
  const posted = await store.postNotification({
    target: { feedId },
    content: notificationContent(HOST, 'gone'),
    now: new Date(),
  });
  const id = posted?.notification.id as string;
  const deleted = await store.editNotifications(
    feedId,
    { ids: [id] },
    () => ({ kind: 'DELETED', set: { status: 'DELETED' } }),
    new Date(),
  );
  expect(deleted).toHaveLength(1);
  // Its log entries purged first (the tombstone not yet expired, so kept): the purge below has only the
  // tombstone to do, not a log entry whose feed it would wait for anyway.
  await store.purge(new Date(), new Date(Date.now() + DAY_MS), 100);
  expect(await store.readChanges(feedId, 0, 10)).toEqual([]);

  // The post, as the transactional write path runs it: the feed locked, the key found, the replace next.
  const post = await connectPostgres(url);
  await post.query(`SET search_path TO ${pg.escapeIdentifier(schema)}`);
  await post.query('BEGIN');
  await post.query('SELECT "id" FROM "Feed" WHERE "id" = $1 FOR UPDATE', [feedId]);
  const found = await post.query(
    'SELECT "id" FROM "Notification" WHERE "feedId" = $1 AND "appNotificationId" = $2',
    [feedId, 'gone'],
  );
  expect(found.rows).toEqual([{ id }]);

  // A sweep far enough ahead that the tombstone is expired, quiet past retention and out of the log.
  const now = new Date(Date.now() + 60 * DAY_MS);
  const purge = store.purge(now, new Date(now.getTime() - DAY_MS), 100);
  let purgeDone = false;
  void purge.then(
    () => {
      purgeDone = true;
    },
    () => {
      purgeDone = true;
    },
  );
  // It waits for the feed's lock: one backend is blocked by the post's.
  const [{ pid }] = (await post.query('SELECT pg_backend_pid() AS pid')).rows;
  const watcher = await connectPostgres(url);
  const blockedByPost = async () =>
    (
      await watcher.query(
        'SELECT count(*)::int AS n FROM pg_stat_activity WHERE $1 = ANY(pg_blocking_pids(pid))',
        [pid],
      )
    ).rows[0].n;
  await expect.poll(blockedByPost, { timeout: 10_000 }).toBe(1);
  expect(purgeDone).toBe(false);

  // The replace finds its row, and commits the notification revived.
  const replaced = await post.query(
    `UPDATE "Notification" SET "status" = 'ACTIVE', "lastModifiedDateTime" = now(),
       "expirationDateTime" = now() + interval '90 days' WHERE "id" = $1`,
    [id],
  );
  expect(replaced.rowCount).toBe(1);
  await post.query('COMMIT');

  await purge;
  const revived = await store.findNotificationById(id);
  expect(revived?.status).toBe('ACTIVE');
});
