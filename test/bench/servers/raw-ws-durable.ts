// The floor of a durable gateway: the raw `ws` server (raw-ws-server.ts), but each published change is
// first committed to SQLite, as Tidings commits a post before it answers or delivers it (WAL,
// synchronous=FULL: Tidings' defaults), in group commits (the changes that arrived while the previous
// commit ran share the next one, one fsync). What is written is the least an idempotent, ordered log
// per user needs: one row per notification keyed by user and position, and a unique index on the
// app's key, in 2 KiB pages as Tidings makes a new database (src/store/migrations/apply-sqlite-migrations.ts).
// Positions are counted in memory (a fresh database per start). Its ratios to raw `ws` say
// what storing costs on this machine; Tidings' ratios to it, what everything else costs. `synchronous`
// follows TIDINGS_SQLITE_SYNCHRONOUS as Tidings' does. A failed commit fails every post of its group
// (500): the bench's posts never conflict, so none is retried alone.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { NEW_DATABASE_PAGE_SIZE } from '../../../src/store/migrations/apply-sqlite-migrations.js';
import type { Change } from './baseline-common.js';
import { serveRawWs } from './raw-ws-server.js';

const directory = mkdtempSync(join(tmpdir(), 'raw-ws-durable-'));
process.on('exit', () => rmSync(directory, { recursive: true, force: true }));
const db = new Database(join(directory, 'log.db'));
db.pragma(`page_size = ${NEW_DATABASE_PAGE_SIZE}`);
db.pragma('journal_mode = WAL');
const SYNCHRONOUS = ['OFF', 'NORMAL', 'FULL', 'EXTRA'];
const synchronous = (process.env.TIDINGS_SQLITE_SYNCHRONOUS || 'FULL').toUpperCase();
if (!SYNCHRONOUS.includes(synchronous)) throw new Error(`TIDINGS_SQLITE_SYNCHRONOUS: ${synchronous}?`);
db.pragma(`synchronous = ${synchronous}`);
db.exec(`CREATE TABLE "Notification" (
  "userId" TEXT NOT NULL, "position" INTEGER NOT NULL, "id" TEXT NOT NULL, "appNotificationId" TEXT NOT NULL,
  "title" TEXT NOT NULL, "body" TEXT NOT NULL, "createdAt" TEXT NOT NULL,
  PRIMARY KEY ("userId", "position")) WITHOUT ROWID;
  CREATE UNIQUE INDEX "Notification_key" ON "Notification" ("userId", "appNotificationId");`);
const insert = db.prepare('INSERT INTO "Notification" VALUES (?, ?, ?, ?, ?, ?, ?)');

interface Pending {
  readonly userId: string;
  readonly change: Change;
  resolve(): void;
  reject(error: unknown): void;
}
/** Each user's last committed position. */
const positions = new Map<string, number>();
/** Writes a group; answers the positions it took, to be kept only once it has committed. */
const commit = db.transaction((batch: readonly Pending[]) => {
  const taken = new Map<string, number>();
  for (const { userId, change } of batch) {
    const position = (taken.get(userId) ?? positions.get(userId) ?? 0) + 1;
    taken.set(userId, position);
    const { id, appNotificationId, createdDateTime, payload } = change.notification;
    const { title, body } = payload.visualContent;
    insert.run(userId, position, id, appNotificationId, title, body, createdDateTime);
  }
  return taken;
});

let pending: Pending[] = [];
function commitPending(): void {
  const batch = pending;
  pending = [];
  let taken: Map<string, number>;
  try {
    taken = commit(batch);
  } catch (error) {
    for (const one of batch) one.reject(error);
    return;
  }
  for (const [userId, position] of taken) positions.set(userId, position);
  for (const one of batch) one.resolve();
}

serveRawWs(
  'raw-ws-durable',
  (userId, change) =>
    new Promise<undefined>((resolve, reject) => {
      // After the I/O phase, so every request read in this turn of the loop shares the commit.
      if (pending.length === 0) setImmediate(commitPending);
      pending.push({ userId, change, resolve: () => resolve(undefined), reject });
    }),
);
