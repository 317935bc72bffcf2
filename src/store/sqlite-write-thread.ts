import { createRequire } from 'node:module';
import { extname } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type BetterSqlite3 from 'better-sqlite3';
import type { DirectWrites } from './prisma-client.js';
import {
  receivedError,
  type SqliteWriterSettings,
  WRITER_READY,
  type WriteAnswer,
  type WriteRequest,
} from './sqlite-write-protocol.js';
import { SQLITE_WRITER_GONE } from './unavailable.js';

// SQLite's posts and delivery marks, written on a worker thread (sqlite-write-worker.ts) that owns a
// connection of its own. better-sqlite3 is synchronous: on the event loop, a commit's fsync
// (synchronous=FULL, kept: an answered post is on disk) held every other request for its whole length,
// 0.5 ms at the median and 4.4 ms at p99 at 500 posts/s, 36 % of the wall time. Here the loop only awaits
// the answer, and the posts that arrive meanwhile make the next batch (group-commit.ts).
//
// Two connections writing one database contend for SQLite's write lock, and the loser would wait in
// busy_timeout (the main thread's synchronously, loop held) or fail SQLITE_BUSY. So each batch holds
// Prisma's writer adapter's own transaction lock while the worker writes, as the writes did when they ran
// on that adapter's connection: no Prisma write transaction (devices, state updates, the sweeper) runs
// meanwhile. The adapter's lock comes with a BEGIN on its connection; that transaction stays empty (it
// takes no lock and holds no snapshot in WAL mode), and its COMMIT writes nothing.

/** Prisma's better-sqlite3 adapter, as it holds its connection: the database and its transaction lock. */
export interface SqliteAdapterConnection {
  readonly client: BetterSqlite3.Database;
  /** Takes the adapter's transaction lock and runs BEGIN; commit() and rollback() only release it. */
  startTransaction(): Promise<{ commit(): Promise<void>; rollback(): Promise<void> }>;
}

export interface SqliteWriteThreadOptions {
  readonly settings: Omit<SqliteWriterSettings, 'traced'>;
  /** The Prisma writer's connection, whose transaction lock each batch holds. */
  readonly connection: SqliteAdapterConnection;
  /** Told every statement the worker runs, in order, before the batch's answer is given. */
  readonly onQuery?: (sql: string) => void;
  /** The worker's entry module; tests give one that dies on purpose. */
  readonly entry?: URL;
}

export interface SqliteWriteThread extends DirectWrites {
  /** Waits for the batches already sent, then closes the worker's connection and ends it. */
  close(): Promise<void>;
}

// Beside this module: .js in dist/, .ts when the sources run through tsx or Vitest.
const WORKER_ENTRY = new URL(
  `./sqlite-write-worker${extname(fileURLToPath(import.meta.url))}`,
  import.meta.url,
);

/** Starts the worker; a TypeScript entry through tsx, which Node 20 does not pass on in `execArgv`. */
function startWorker(entry: URL, settings: SqliteWriterSettings): Worker {
  // None of the process's own flags: its preloads (a profiler's, the bench's probe, which answers on the
  // process's IPC channel and ends the thread it runs in) are for the main thread.
  const options = { workerData: settings, execArgv: [] };
  if (!entry.pathname.endsWith('.ts')) return new Worker(entry, options);
  // tsx's ESM API by its file: require.resolve would give its CommonJS build.
  const tsx = new URL(
    'dist/esm/api/index.mjs',
    pathToFileURL(createRequire(import.meta.url).resolve('tsx/package.json')),
  ).href;
  const code = `import(${JSON.stringify(tsx)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(entry.href)}); })`;
  return new Worker(code, { ...options, eval: true });
}

/** The Prisma writer's transaction lock, held while the worker writes. */
type WriterLock = Awaited<ReturnType<SqliteAdapterConnection['startTransaction']>>;

interface Pending {
  resolve(answer: WriteAnswer): void;
  reject(error: Error): void;
}

/** One worker and the requests it has not answered yet. */
interface Running {
  readonly worker: Worker;
  readonly pending: Map<number, Pending>;
  /** Resolves when the worker's connection is open; rejects (SQLITE_WRITER_GONE) if it ends before. */
  readonly ready: Promise<void>;
  /** Resolves when the worker has ended. */
  readonly ended: Promise<void>;
}

/**
 * Starts the worker (again after it dies, for the next batch) and answers each batch once the worker
 * has committed it.
 * @throws (from writePosts and recordDeliveryMarks) the writer's own error: SqliteError with its code,
 *   TypeError for a value that does not fit its column; or an Error with code SQLITE_WRITER_GONE.
 */
export function createSqliteWriteThread(options: SqliteWriteThreadOptions): SqliteWriteThread {
  const { connection, onQuery } = options;
  const settings: SqliteWriterSettings = { ...options.settings, traced: onQuery !== undefined };
  const entry = options.entry ?? WORKER_ENTRY;
  let running: Running | undefined;
  let closed = false;
  let nextId = 1;
  const endEmpty = connection.client.prepare('COMMIT');

  function start(): Running {
    const worker = startWorker(entry, settings);
    // Idle, it keeps no process alive (a CLI command that forgets to close its store still exits); it
    // is referenced while a batch is pending, so a process never ends waiting for its answer.
    worker.unref();
    const pending = new Map<number, Pending>();
    let failure: unknown;
    let readied: { resolve(): void; reject(error: Error): void } | undefined;
    const ready = new Promise<void>((resolve, reject) => {
      readied = { resolve, reject };
    });
    // Awaited by the next write only: a thread that fails before any write must not be unhandled.
    ready.catch(() => {});
    const ended = new Promise<void>((resolve) => {
      worker.on('error', (error) => {
        failure = error;
      });
      worker.on('exit', () => {
        if (running?.worker === worker) running = undefined;
        // Its own reason in the message, which the outage log shows (a file it cannot open, say).
        const reason = failure instanceof Error ? `: ${failure.message}` : '';
        const gone = Object.assign(
          new Error(
            `The SQLite writer thread ended before it answered${reason}; the write may not have completed.`,
            { cause: failure },
          ),
          { code: SQLITE_WRITER_GONE },
        );
        readied?.reject(gone);
        for (const waiting of pending.values()) waiting.reject(gone);
        pending.clear();
        resolve();
      });
    });
    worker.on('message', (answer: WriteAnswer | typeof WRITER_READY) => {
      if (answer === WRITER_READY) {
        readied?.resolve();
        return;
      }
      const waiting = pending.get(answer.id);
      if (!waiting) return;
      pending.delete(answer.id);
      if (pending.size === 0 && !closed) worker.unref();
      waiting.resolve(answer);
    });
    return { worker, pending, ready, ended };
  }

  const storeClosed = () =>
    Object.assign(new Error('The SQLite store is closed.'), { code: SQLITE_WRITER_GONE });

  function send(request: Exclude<WriteRequest, { kind: 'close' }>): Promise<WriteAnswer> {
    if (closed) return Promise.reject(storeClosed());
    running ??= start();
    const { worker, pending } = running;
    return new Promise<WriteAnswer>((resolve, reject) => {
      // Throws for a value that cannot be copied to the worker: this batch's error, as a bad value's is.
      worker.postMessage(request);
      pending.set(request.id, { resolve, reject });
      worker.ref();
    });
  }

  /** Ends the lock's (empty) transaction on the Prisma writer's connection and releases the lock. */
  async function release(lock: WriterLock): Promise<void> {
    try {
      try {
        if (connection.client.inTransaction) endEmpty.run();
      } finally {
        await lock.commit();
      }
    } catch (error) {
      // The connection closed with the store: its transaction, empty, went with it.
      if (!closed) throw error;
    }
  }

  /** Sends a request while holding the Prisma writer's transaction lock; answers what the worker did. */
  async function write<T>(request: Exclude<WriteRequest, { kind: 'close' }>): Promise<T> {
    // The thread is started, and its connection opened, before the lock is taken: Prisma's own write
    // transactions wait for that lock, up to their maxWait (2 s), and would fail behind a slow start.
    if (!closed) {
      running ??= start();
      // Held while it starts (its answer unrefs it): a process with nothing else to do would otherwise
      // end while this write waits.
      running.worker.ref();
      await running.ready;
    }
    // A write that waits for the lock while the store closes finds the connection closed under it
    // (better-sqlite3's TypeError "The database connection is not open"): refused as closed, as a write
    // asked after close is, not as a fault of its own.
    const lock = await connection.startTransaction().catch((error: unknown) => {
      throw closed ? storeClosed() : error;
    });
    let answer: WriteAnswer;
    try {
      answer = await send(request);
      // Told while the lock is held: no Prisma transaction's statements come between them.
      for (const sql of answer.statements ?? []) onQuery?.(sql);
    } finally {
      await release(lock);
    }
    if (!answer.ok) throw receivedError(answer.error);
    return answer.result as T;
  }

  // Started by the first write, not now: a CLI command that opens the store never writes a post, and
  // would wait for a thread to load only to close it. The gateway's first post waits for it once.
  return {
    writePosts: (requests) => write({ id: nextId++, kind: 'posts', requests }),
    recordDeliveryMarks: (marks, markKind) => write({ id: nextId++, kind: 'marks', marks, markKind }),
    async close() {
      closed = true;
      if (!running) return;
      const { worker, ended } = running;
      // Held until it has ended: its last batch's commit and the connection's close are waited for.
      worker.ref();
      worker.postMessage({ kind: 'close' } satisfies WriteRequest);
      await ended;
    },
  };
}
