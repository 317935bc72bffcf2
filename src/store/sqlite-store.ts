import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { PrismaBetterSqlite3 } from '@prisma/adapter-better-sqlite3';
import Database from 'better-sqlite3';
import type { SqliteSynchronous } from '../config/config.js';
import { PrismaClient } from './generated/sqlite/client.js';
import { applySqliteMigrations } from './migrations/apply-sqlite-migrations.js';
import { migrationsDirectory, readMigrationFiles } from './migrations/migration-files.js';
import { createPrismaStore } from './prisma-store.js';
import { createSqliteLoopWrites } from './sqlite-loop-writes.js';
import { SQLITE_TEMP_STORE } from './sqlite-write-protocol.js';
import { createSqliteWriteThread, type SqliteAdapterConnection } from './sqlite-write-thread.js';
import type { Store } from './types.js';

export interface SqliteStoreOptions {
  /** `file:` URL or plain path of the database file. */
  readonly databaseUrl: string;
  readonly synchronous: SqliteSynchronous;
  /**
   * Told every SQL statement the store runs (tests count them; operators may trace them), but the empty
   * BEGIN and COMMIT that take and leave the writer's lock around a batch of posts or delivery marks.
   */
  readonly onQuery?: (sql: string) => void;
  /**
   * Whether posts and delivery marks commit on a worker thread (sqlite-write-thread.ts) or on the
   * event loop, on Prisma's writer connection (sqlite-loop-writes.ts). Default: the thread.
   */
  readonly writeThread?: boolean;
  /** The entry of the writer's worker thread, if not sqlite-write-worker (tests make one die). */
  readonly writerEntry?: URL;
}

// How long a connection waits for another process's write lock (e.g. the CLI registering an app).
const BUSY_TIMEOUT_MS = 5000;

/**
 * Opens (creating and migrating on first use) the SQLite store.
 *
 * Every write goes through an interactive transaction on `writer` (the driver adapter serialises
 * those), but posts and delivery marks: with `writeThread` a worker thread writes them on a connection
 * of its own (sqlite-write-thread.ts), otherwise they run on `writer`'s; either way while holding its
 * adapter's transaction lock. Every read goes to `reader`. With WAL a reader sees only committed data;
 * on a single connection a read could run inside another request's open transaction and see a change
 * that is later rolled back.
 *
 * @throws Error when the database cannot be opened or a migration fails.
 */
export async function createSqliteStore(options: SqliteStoreOptions): Promise<Store> {
  const path = options.databaseUrl.replace(/^file:/, '');
  mkdirSync(dirname(path), { recursive: true });
  const db = new Database(path, { timeout: BUSY_TIMEOUT_MS });
  try {
    // Migrations first: a new database takes its page size before its first page, which WAL mode writes.
    applySqliteMigrations(db, readMigrationFiles(migrationsDirectory('sqlite')));
    db.pragma('journal_mode = WAL');
  } finally {
    db.close();
  }
  const { onQuery } = options;
  let writerConnection: SqliteAdapterConnection | undefined;
  // `opened` is given the adapter's connection once Prisma opens it: posts and delivery marks hold its
  // transaction lock, and are written on it when they have no thread of their own.
  const connect = async (opened?: (connection: SqliteAdapterConnection) => void) => {
    const adapter = new PrismaBetterSqlite3({ url: path, timeout: BUSY_TIMEOUT_MS });
    if (opened) {
      const open = adapter.connect.bind(adapter);
      adapter.connect = async () => {
        const connection = await open();
        opened(connection as unknown as SqliteAdapterConnection);
        return connection;
      };
    }
    const client = onQuery
      ? new PrismaClient({ adapter, log: [{ emit: 'event', level: 'query' }] })
      : new PrismaClient({ adapter });
    if (onQuery) (client as unknown as QueryEvents).$on('query', (event) => onQuery(event.query));
    await client.$executeRawUnsafe(`PRAGMA synchronous = ${options.synchronous}`);
    await client.$executeRawUnsafe('PRAGMA foreign_keys = ON');
    await client.$executeRawUnsafe(`PRAGMA temp_store = ${SQLITE_TEMP_STORE}`);
    return client;
  };
  const writer = await connect((connection) => {
    writerConnection = connection;
  });
  const reader = await connect();
  if (!writerConnection) throw new Error("Prisma did not open the writer's SQLite connection.");
  if (options.writeThread === false) {
    return createPrismaStore(writer, reader, 'sqlite', createSqliteLoopWrites(writerConnection, onQuery));
  }
  const writeThread = createSqliteWriteThread({
    settings: { path, synchronous: options.synchronous, busyTimeoutMs: BUSY_TIMEOUT_MS },
    connection: writerConnection,
    ...(onQuery ? { onQuery } : {}),
    ...(options.writerEntry ? { entry: options.writerEntry } : {}),
  });
  const store = createPrismaStore(writer, reader, 'sqlite', writeThread);
  return {
    ...store,
    async close() {
      // The batches already sent commit first; Prisma's connections go after them.
      await writeThread.close();
      await store.close();
    },
  };
}

// The client's $on is typed only when the log option is a literal; one cast here keeps that local.
type QueryEvents = { $on(event: 'query', listener: (event: { query: string }) => void): void };
