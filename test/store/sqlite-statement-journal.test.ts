import { existsSync, readdirSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { registerApp } from '../../src/auth/register-app.js';
import { loadConfig } from '../../src/config/config.js';
import { createSqliteStore } from '../../src/store/sqlite-store.js';
import type { Store } from '../../src/store/types.js';
import { onCleanup } from '../support/cleanup.js';
import { temporaryDataDir } from '../support/gateway.js';
import { notificationContent } from '../support/notification-content.js';

const HOST = 'journal.example.com';
const SCRIPTED_WRITER = new URL('../support/scripted-sqlite-writer.ts', import.meta.url);
const USERS = 2000;
const BATCH = 32;

/**
 * SQLite's temporary files this process holds open: SQLite names them etilqs_… and unlinks them at once,
 * so they are seen only here, while open. A statement that changes many pages inside a transaction keeps
 * their old content until it ends (to undo that statement alone); past 64 KiB it spills that to such a
 * file, which stays open until the transaction ends, unless the connection keeps temporary data in memory.
 */
function openTemporaryFiles(): string[] {
  return readdirSync('/proc/self/fd')
    .map((fd) => {
      try {
        return readlinkSync(join('/proc/self/fd', fd));
      } catch {
        return ''; // closed since it was listed
      }
    })
    .filter((target) => target.includes('etilqs_'));
}

async function openStore(
  dataDir: string,
  options: { writeThread: boolean; onQuery?: (sql: string) => void },
) {
  const config = loadConfig({}, { dataDir });
  const store = await createSqliteStore({
    databaseUrl: config.databaseUrl,
    synchronous: config.sqliteSynchronous,
    writeThread: options.writeThread,
    ...(options.writeThread ? { writerEntry: SCRIPTED_WRITER } : {}),
    ...(options.onQuery ? { onQuery: options.onQuery } : {}),
  });
  onCleanup(() => store.close());
  return store;
}

/**
 * 2,000 users with a notification each, whose entries fill many pages of the feed-ordered indexes: a batch
 * to 32 of them then changes well over 64 KiB of pages in one statement.
 */
async function withManyUsers(store: Store) {
  const { app } = await registerApp(store, { targetHostName: HOST });
  const postTo = (subject: string, appNotificationId: string) =>
    store.postNotification({
      target: { owner: { appId: app.id, issuer: 'urn:test', subject } },
      content: notificationContent(HOST, appNotificationId),
      now: new Date(),
    });
  await Promise.all(Array.from({ length: USERS }, (_, i) => postTo(`user-${i}`, `first-${i}`)));
  // Posted on one turn: one batch, to users spread over the indexes.
  const postBatch = () =>
    Promise.all(Array.from({ length: BATCH }, (_, i) => postTo(`user-${i * 61}`, `second-${i}`)));
  return { postBatch };
}

const secondOffsets = Array.from({ length: BATCH }, () => 2);

// A batch of posts to many users, seen inside its transaction just before it logs its changes (after its
// notifications were inserted): SQLite's statement journal was in memory, not in a file made for it.
// /proc/self/fd lists the process's open files: Linux only.
describe.runIf(process.platform === 'linux')("SQLite's statement journal during a batch of posts", () => {
  it('stays in memory on the writer thread', async () => {
    const dataDir = temporaryDataDir();
    const { postBatch } = await withManyUsers(await openStore(dataDir, { writeThread: true }));

    writeFileSync(join(dataDir, 'tidings.db.hold'), '');
    const batch = postBatch();
    let during: string[];
    try {
      await expect.poll(() => existsSync(join(dataDir, 'tidings.db.reached'))).toBe(true);
      // The writer is a thread of this process: its open files are this process's.
      during = openTemporaryFiles();
    } finally {
      // Released whatever happened: a writer left holding its transaction would hold the store's close.
      rmSync(join(dataDir, 'tidings.db.hold'));
    }
    expect((await batch).map((change) => change?.offset)).toEqual(secondOffsets);
    expect(during).toEqual([]);
  });

  it('stays in memory when the event loop writes (one CPU)', async () => {
    const during: string[] = [];
    let watching = false;
    const { postBatch } = await withManyUsers(
      await openStore(temporaryDataDir(), {
        writeThread: false,
        onQuery: (sql) => {
          if (watching && sql.startsWith('INSERT INTO "Change"'))
            during.push(...openTemporaryFiles(), 'seen');
        },
      }),
    );
    watching = true;
    expect((await postBatch()).map((change) => change?.offset)).toEqual(secondOffsets);
    // Looked once, in the batch's transaction.
    expect(during).toEqual(['seen']);
  });
});
