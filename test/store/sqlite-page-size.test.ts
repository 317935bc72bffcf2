// A new SQLite database gets 2 KiB pages (fewer bytes for the scattered B-tree pages a post writes); a
// database made before keeps its 4 KiB pages and works as it did, until converted offline with the
// README's statements (Decisions, "SQLite pages of 2 KiB").
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { applySqliteMigrations } from '../../src/store/migrations/apply-sqlite-migrations.js';
import { migrationsDirectory, readMigrationFiles } from '../../src/store/migrations/migration-files.js';
import { tidings } from '../support/cli.js';
import { startGateway, type TestGateway, temporaryDataDir } from '../support/gateway.js';
import { dataOf, graphql } from '../support/graphql-http.js';
import { createDevice, FEED, notificationInput, postNotification } from '../support/operations.js';
import { storeSql } from '../support/store-sql.js';

const HOST = 'pages.example.com';
/** What the README gives to convert a stopped gateway's database (sqlite3's command line runs the same). */
const CONVERT_TO_2_KIB = `PRAGMA journal_mode = DELETE; PRAGMA page_size = 2048; VACUUM; PRAGMA journal_mode = WAL;`;

function pragmaOf(path: string, name: string): unknown {
  const db = new Database(path, { readonly: true });
  try {
    return db.pragma(name, { simple: true });
  } finally {
    db.close();
  }
}

/** A database laid out as the builds before 2 KiB pages did: WAL mode first, then the migrations. */
function createOlderDatabase(path: string): void {
  const db = new Database(path);
  try {
    db.pragma('journal_mode = WAL');
    applySqliteMigrations(db, readMigrationFiles(migrationsDirectory('sqlite')));
  } finally {
    db.close();
  }
}

/** Posts `ids` to a new device of `subject`; answers the user's token. */
async function postTo(t: TestGateway, subject: string, ids: readonly string[]): Promise<string> {
  const app = await t.registerApp(HOST);
  const appToken = await app.token();
  const userToken = await t.userToken(subject, app.app);
  const unsid = await createDevice(t.url, userToken, 'WEB');
  for (const id of ids) {
    const answer = await postNotification(
      t.url,
      appToken,
      notificationInput(unsid, HOST, { appNotificationId: id }),
    );
    expect(dataOf(answer).createNotification.outcome).toBe('CREATED');
  }
  return userToken;
}

async function feedIds(t: TestGateway, userToken: string): Promise<string[]> {
  const feed = dataOf(
    await graphql<{ notifications: { edges: Array<{ node: { appNotificationId: string } }> } }>(
      t.url,
      FEED,
      { first: 100 },
      userToken,
    ),
  );
  return feed.notifications.edges.map((edge) => edge.node.appNotificationId).sort();
}

describe("SQLite's page size", () => {
  it('is 2 KiB in a new data directory, in WAL mode, and posts and reads work on it', async () => {
    // Without the writer thread, whose own connection would set WAL mode: the store's start must.
    const t = await startGateway({ env: { TIDINGS_SQLITE_WRITE_THREAD: 'off' } });
    expect(await storeSql(t, 'PRAGMA page_size')).toEqual([{ page_size: 2048 }]);
    expect(await storeSql(t, 'PRAGMA journal_mode')).toEqual([{ journal_mode: 'wal' }]);
    const userToken = await postTo(t, 'ann', ['a', 'b']);
    expect(await feedIds(t, userToken)).toEqual(['a', 'b']);
    expect(await storeSql(t, 'PRAGMA integrity_check')).toEqual([{ integrity_check: 'ok' }]);
  });

  it('is 2 KiB in a database `tidings migrate deploy` creates', async () => {
    const dataDir = temporaryDataDir();
    const result = await tidings(['migrate', 'deploy'], dataDir, { DATABASE_URL: '' });
    expect(result.code).toBe(0);
    expect(pragmaOf(join(dataDir, 'tidings.db'), 'page_size')).toBe(2048);
  });

  it('stays 4 KiB in a database made before, which keeps working; the README conversion makes it 2 KiB', async () => {
    const dataDir = temporaryDataDir();
    const path = join(dataDir, 'tidings.db');
    createOlderDatabase(path);
    expect(pragmaOf(path, 'page_size')).toBe(4096);

    const first = await startGateway({ dataDir });
    expect(await storeSql(first, 'PRAGMA page_size')).toEqual([{ page_size: 4096 }]);
    const userToken = await postTo(first, 'bob', ['before-1', 'before-2']);
    expect(await feedIds(first, userToken)).toEqual(['before-1', 'before-2']);
    await first.close();

    const db = new Database(path);
    try {
      db.exec(CONVERT_TO_2_KIB);
    } finally {
      db.close();
    }
    expect(pragmaOf(path, 'page_size')).toBe(2048);

    const second = await startGateway({ dataDir });
    expect(await storeSql(second, 'PRAGMA journal_mode')).toEqual([{ journal_mode: 'wal' }]);
    expect(await feedIds(second, userToken)).toEqual(['before-1', 'before-2']);
    expect(await storeSql(second, 'PRAGMA integrity_check')).toEqual([{ integrity_check: 'ok' }]);
  });
});
