import { ErrorCode, GatewayError } from '../errors.js';
import type { OutageLog } from '../outage-log.js';
import type { Store } from './types.js';

/**
 * SQLite's writer thread ended before it answered a batch (it died, or the store was closed): the outcome
 * is unknown, as with a connection lost during a commit (sqlite-write-thread.ts starts a new one).
 */
export const SQLITE_WRITER_GONE = 'SQLITE_WRITER_GONE';

/**
 * A batch of posts committed but its answer could not be read (postgres-batch-statement.ts): the outcome
 * of each post is unknown to the caller, as with a connection lost during a commit; a retry replaces.
 */
export const POSTS_OUTCOME_UNKNOWN = 'POSTS_OUTCOME_UNKNOWN';

// Prisma's codes for "the database cannot be reached right now" (P1001 unreachable, P1002 timed out,
// P1008 operation timed out, P1017 server closed the connection, P2024 pool timeout, P2028 a
// transaction could not start in time, P2034 write conflict or deadlock: retry), PostgreSQL's connection-exception and shutdown classes, and the
// socket errors a vanished server leaves. Bounds met (postgres-pool.ts): 57014 a statement cancelled at
// statement_timeout, 25P03 a session ended idle in a transaction, DB_CONNECTION_SILENT a connection that
// stopped answering, DB_TRANSACTION_TIMEOUT a write transaction past its bound (postgres-post-writer.ts).
// PostgreSQL's 40001 (serialization failure) and 40P01 (deadlock), which Prisma reports as P2034, as the
// writer on node-postgres meets them. SQLite's writer thread ended before it answered (sqlite-write-thread.ts),
// and a committed batch whose answer could not be read (postgres-batch-statement.ts).
const RETRYABLE_CODES = new Set([
  'P1001',
  'P1002',
  'P1008',
  'P1017',
  'P2024',
  'P2028',
  'P2034',
  '57P01',
  '57P02',
  '57P03',
  '08000',
  '08001',
  '08003',
  '08004',
  '08006',
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'SQLITE_BUSY',
  '57014',
  '25P03',
  'DB_CONNECTION_SILENT',
  'DB_TRANSACTION_TIMEOUT',
  '40001',
  '40P01',
  SQLITE_WRITER_GONE,
  POSTS_OUTCOME_UNKNOWN,
]);

/** Whether an error (or any error it wraps) says the database is unreachable for now. */
export function isStoreUnavailable(error: unknown, depth = 0): boolean {
  if (typeof error !== 'object' || error === null || depth > 5) return false;
  const { code, cause, originalCode, errorCode } = error as Record<string, unknown>;
  // Prisma's request errors carry `code`, its initialisation errors `errorCode`, adapters `originalCode`.
  for (const candidate of [code, errorCode, originalCode]) {
    if (typeof candidate === 'string' && RETRYABLE_CODES.has(candidate)) return true;
  }
  if (
    // node-postgres's own words (its errors carry no code): a connection lost, or none to be had in time;
    // and Prisma's for a connection lost under a raw query (P2010 with "Code: `N/A`").
    /Can't reach database server|Connection terminated|connection is closed|timeout exceeded when trying to connect|timeout expired|not queryable|Server has closed the connection/i.test(
      String((error as Error).message),
    )
  ) {
    return true;
  }
  // Prisma 7 reports a driver adapter's failure inside a raw query as P2010, with the driver's error in
  // `meta.driverAdapterError` (e.g. SQLite's SQLITE_BUSY in its `cause.originalCode`).
  const meta = (error as { meta?: { driverAdapterError?: unknown } }).meta;
  return isStoreUnavailable(cause, depth + 1) || isStoreUnavailable(meta?.driverAdapterError, depth + 1);
}

// Store operations whose success says nothing about the database, so it ends no outage: findApp may
// answer from its cache (apps are kept a minute), close only lets go of the connections.
const ANSWERED_FROM_MEMORY = new Set<string>(['findApp', 'close']);

/**
 * The store, with "database unreachable" failures turned into SERVICE_UNAVAILABLE (retry later) instead
 * of an unexpected error. Nothing is ever reported as done that was not. If the connection broke while
 * a commit was under way, the outcome is unknown: the message says so, and retrying is safe for what
 * clients retry (createNotification upserts by appNotificationId; state updates are idempotent).
 * `outage` is told of every such failure and of every answer (the start and end of an outage are
 * logged there once), so no caller needs to log SERVICE_UNAVAILABLE from the store itself.
 */
export function reportingUnavailability(store: Store, outage?: OutageLog): Store {
  // Whether a successful call proves the database answered: not one that may be served from memory.
  const answeredByDatabase = (name: string) => !ANSWERED_FROM_MEMORY.has(name);
  const wrapped = {} as Record<string, unknown>;
  for (const [name, method] of Object.entries(store) as Array<
    [string, (...args: unknown[]) => Promise<unknown>]
  >) {
    wrapped[name] = async (...args: unknown[]) => {
      const startedAt = Date.now();
      try {
        const result = await method(...args);
        if (answeredByDatabase(name)) outage?.succeeded();
        return result;
      } catch (error) {
        // A coded error (NOT_FOUND, CONFLICT) is an answer from the database: it is reachable.
        if (error instanceof GatewayError) outage?.succeeded();
        if (error instanceof GatewayError || !isStoreUnavailable(error)) throw error;
        outage?.failed(lastLine(error), { startedAt });
        throw new GatewayError(
          ErrorCode.ServiceUnavailable,
          'The store could not be reached; the operation may not have completed. Retry it shortly.',
          {
            cause: error,
          },
        );
      }
    };
  }
  return wrapped as unknown as Store;
}

/** The last line of an error's message: Prisma's start with the call site, and end with the cause. */
function lastLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return (
    message
      .split('\n')
      .map((line) => line.trim())
      .filter(Boolean)
      .at(-1) ?? message
  );
}
