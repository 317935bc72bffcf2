import { ErrorCode, GatewayError } from '../errors.js';
import type { Store } from './types.js';

// Prisma's codes for "the database cannot be reached right now" (P1001 unreachable, P1002 timed out,
// P1008 operation timed out, P1017 server closed the connection, P2024 pool timeout, P2028 a
// transaction could not start in time, P2034 write conflict or deadlock: retry), PostgreSQL's connection-exception and shutdown classes, and the
// socket errors a vanished server leaves.
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
    /Can't reach database server|Connection terminated|connection is closed/i.test(
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

/**
 * The store, with "database unreachable" failures turned into SERVICE_UNAVAILABLE (retry later) instead
 * of an unexpected error. Nothing is ever reported as done that was not. If the connection broke while
 * a commit was under way, the outcome is unknown: the message says so, and retrying is safe for what
 * clients retry (createNotification upserts by appNotificationId; state updates are idempotent).
 */
export function reportingUnavailability(store: Store): Store {
  const wrapped = {} as Record<string, unknown>;
  for (const [name, method] of Object.entries(store) as Array<
    [string, (...args: unknown[]) => Promise<unknown>]
  >) {
    wrapped[name] = async (...args: unknown[]) => {
      try {
        return await method(...args);
      } catch (error) {
        if (error instanceof GatewayError || !isStoreUnavailable(error)) throw error;
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
