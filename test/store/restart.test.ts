import { describe, expect, it } from 'vitest';
import { openFeed } from '../support/feed-client.js';
import { startGateway, temporaryDataDir, testStore } from '../support/gateway.js';
import { dataOf, graphql } from '../support/graphql-http.js';
import { createDevice, FEED, notificationInput, postNotification } from '../support/operations.js';
import { storeSql } from '../support/store-sql.js';

describe('restart on the same data directory', () => {
  it('keeps every notification that was answered with success, and the tokens and cursors stay valid', async () => {
    const dataDir = temporaryDataDir();
    const first = await startGateway({ dataDir });
    const app = await first.registerApp('restart.example.com');
    const appToken = await app.token();
    const userToken = await first.userToken('alice', app.app);
    const unsid = await createDevice(first.url, userToken, 'ANDROID');
    // Concurrent posts: each success answer must correspond to a committed row.
    const answers = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        postNotification(
          first.url,
          appToken,
          notificationInput(unsid, 'restart.example.com', { appNotificationId: `n${i}` }),
        ),
      ),
    );
    const acknowledged = answers.map((answer) => dataOf(answer).createNotification.notification.id);
    const cursorBefore = dataOf(
      await graphql<{ notifications: { feedCursor: string } }>(first.url, FEED, { first: 1 }, userToken),
    ).notifications.feedCursor;
    await first.close();

    const second = await startGateway({ dataDir });
    const feed = dataOf(
      await graphql<{ notifications: { edges: Array<{ node: { id: string } }>; feedCursor: string } }>(
        second.url,
        FEED,
        { first: 100 },
        userToken, // signed before the restart: the key persisted in the data directory
      ),
    );
    expect(feed.notifications.edges.map((edge) => edge.node.id).sort()).toEqual([...acknowledged].sort());
    expect(feed.notifications.feedCursor).toBe(cursorBefore);

    // The app's token from before the restart still works, and a device resumes from its old cursor.
    const live = openFeed(second.wsUrl, userToken, { deviceSubscriptionId: unsid, after: cursorBefore });
    await postNotification(
      second.url,
      appToken,
      notificationInput(unsid, 'restart.example.com', { appNotificationId: 'after' }),
    );
    expect((await live.next()).notification?.appNotificationId).toBe('after');
  });

  it('applies migrations once and records them as Prisma does', async () => {
    const dataDir = temporaryDataDir();
    const t = await startGateway({ dataDir });
    await t.close();
    await (await startGateway({ dataDir })).close();
    const third = await startGateway({ dataDir });
    const rows = await storeSql<{ migration_name: string; checksum: string }>(
      third,
      'SELECT migration_name, checksum FROM _prisma_migrations',
    );
    expect(rows.length).toBeGreaterThan(0);
    expect(new Set(rows.map((row) => row.migration_name)).size).toBe(rows.length);
    for (const row of rows) expect(row.checksum).toMatch(/^[0-9a-f]{64}$/);
    if (testStore === 'sqlite') {
      expect(await storeSql(third, 'PRAGMA journal_mode')).toEqual([{ journal_mode: 'wal' }]);
    }
  });
});
