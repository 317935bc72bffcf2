import type { MessagePort } from 'node:worker_threads';
import Database from 'better-sqlite3';
import type { SqliteSynchronous } from '../config/config.js';
import type { Change } from '../domain/types.js';
import { createSqliteDirectWrites } from './sqlite-post-writer.js';
import type { PostRequest, Store } from './types.js';

type DeliveryMarks = Parameters<Store['recordDeliveryMarks']>;

// What the main thread (sqlite-write-thread.ts) and the SQLite writer's worker thread
// (sqlite-write-worker.ts) say to each other, and the worker's side of it. Nothing here loads Prisma.

/** What the worker is started with. */
export interface SqliteWriterSettings {
  /** The database file. */
  readonly path: string;
  readonly synchronous: SqliteSynchronous;
  readonly busyTimeoutMs: number;
  /** Whether each answer lists the statements it ran (the store's `onQuery`). */
  readonly traced: boolean;
}

export type WriteRequest =
  | { readonly id: number; readonly kind: 'posts'; readonly requests: readonly PostRequest[] }
  | {
      readonly id: number;
      readonly kind: 'marks';
      readonly marks: DeliveryMarks[0];
      readonly markKind: DeliveryMarks[1];
    }
  /** Answered by the worker closing its connection and ending, after every request before it. */
  | { readonly kind: 'close' };

/** Sent once by the worker when its connection is open: it can take a batch at once. */
export const WRITER_READY = 'ready';

export type WriteAnswer = { readonly id: number; readonly statements?: readonly string[] } & (
  | { readonly ok: true; readonly result: Array<Change | null> | undefined }
  | { readonly ok: false; readonly error: SentError }
);

/**
 * An error as it crosses the threads: a structured clone keeps an Error's message but not its `code`,
 * which is what says "unavailable, retry" (SQLITE_BUSY) apart from a bad request (unavailable.ts).
 */
export interface SentError {
  readonly name: string;
  readonly message: string;
  readonly stack?: string;
  readonly code?: string;
}

export function sentError(error: unknown): SentError {
  if (!(error instanceof Error)) return { name: 'Error', message: String(error) };
  const { code } = error as { code?: unknown };
  return {
    name: error.name,
    message: error.message,
    ...(error.stack === undefined ? {} : { stack: error.stack }),
    ...(typeof code === 'string' ? { code } : {}),
  };
}

/** The error again, of the class the writer threw where it matters (SqliteError, TypeError). */
export function receivedError(sent: SentError): Error {
  const error =
    sent.name === 'SqliteError' && sent.code !== undefined
      ? new Database.SqliteError(sent.message, sent.code)
      : sent.name === 'TypeError'
        ? new TypeError(sent.message)
        : Object.assign(new Error(sent.message), { name: sent.name }, sent.code ? { code: sent.code } : {});
  if (sent.stack !== undefined) error.stack = sent.stack;
  return error;
}

/**
 * Where every connection of the store keeps SQLite's temporary data. A statement that changes many
 * pages in a transaction (a batch of posts to many users) keeps their old content until it ends, to undo
 * that statement alone; past 64 KiB SQLite spilled it to a new temporary file (created, written and
 * deleted each time, open until the transaction ended). In memory it is a copy of those pages: posts
 * commit 100 at a time, the sweeper's edits and purges go in batches (README, Decisions). Sorts and
 * temporary tables no longer spill past the page cache either; Tidings' queries stay far below it.
 */
export const SQLITE_TEMP_STORE = 'MEMORY';

/**
 * The worker's side: opens its own connection to the database (the store's pragmas) and answers each
 * request once its transaction has committed, or failed and rolled back, one request at a time in the
 * order sent. `beforeStatement` is told each statement before it runs (tests make the worker die there).
 * @throws Error (ending the worker) when the database cannot be opened.
 */
export function serveSqliteWrites(
  port: MessagePort,
  settings: SqliteWriterSettings,
  beforeStatement?: (sql: string) => void,
): void {
  const client = new Database(settings.path, { timeout: settings.busyTimeoutMs });
  // As Prisma's adapter reads (sqlite-post-writer.ts converts what it reads back).
  client.defaultSafeIntegers(true);
  client.pragma('journal_mode = WAL');
  client.pragma(`synchronous = ${settings.synchronous}`);
  client.pragma('foreign_keys = ON');
  client.pragma(`temp_store = ${SQLITE_TEMP_STORE}`);
  let statements: string[] = [];
  const writes = createSqliteDirectWrites(client, (sql) => {
    beforeStatement?.(sql);
    if (settings.traced) statements.push(sql);
  });
  const run = (request: Exclude<WriteRequest, { kind: 'close' }>) =>
    request.kind === 'posts'
      ? writes.writePosts(request.requests)
      : writes.recordDeliveryMarks(request.marks, request.markKind).then(() => undefined);

  port.postMessage(WRITER_READY);
  // Each request starts after the one before has answered: a transaction at a time on the connection.
  let previous = Promise.resolve();
  port.on('message', (request: WriteRequest) => {
    previous = previous.then(async () => {
      if (request.kind === 'close') {
        client.close();
        port.close();
        return;
      }
      statements = [];
      let answer: WriteAnswer;
      try {
        answer = { id: request.id, ok: true, result: await run(request) };
      } catch (error) {
        answer = { id: request.id, ok: false, error: sentError(error) };
      }
      port.postMessage(settings.traced ? { ...answer, statements } : answer);
    });
  });
}
