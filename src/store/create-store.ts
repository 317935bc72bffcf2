import { availableParallelism } from 'node:os';
import type { Config } from '../config/config.js';
import type { Logger } from '../logger.js';
import { createOutageLog } from '../outage-log.js';
import type { Store } from './types.js';
import { reportingUnavailability } from './unavailable.js';

/**
 * Opens the store the configuration names: SQLite (the embedded default) or PostgreSQL, migrated.
 * With a `logger`, an outage of the database (calls answered SERVICE_UNAVAILABLE) is logged there once
 * when it starts (`warn`) and once when it ends (`info`, with the count of calls that failed).
 * @throws Error when it cannot be opened or migrated.
 */
export async function createStore(
  config: Config,
  onQuery?: (sql: string) => void,
  logger?: Logger,
): Promise<Store> {
  const traced = onQuery ? { onQuery } : {};
  // Only the configured provider's driver and Prisma client are loaded: a CLI command starts faster.
  const store =
    config.databaseProvider === 'postgres'
      ? await (await import('./postgres-store.js')).createPostgresStore({
          databaseUrl: config.databaseUrl,
          bounds: config.postgres,
          ...traced,
        })
      : await (await import('./sqlite-store.js')).createSqliteStore({
          databaseUrl: config.databaseUrl,
          synchronous: config.sqliteSynchronous,
          writeThread: sqliteWritesOnThread(config.sqliteWriteThread),
          ...traced,
        });
  const outage = logger && createOutageLog({ logger, dependency: 'store', countedAs: 'failedCalls' });
  return reportingUnavailability(store, outage);
}

/**
 * Whether SQLite's posts and delivery marks commit on a worker thread. `auto`: when the process may run on
 * more than one CPU (its affinity counts: `taskset`, a container's cpuset). A thread only helps where it
 * runs beside the event loop; on one CPU handing it each batch cost more than the fsync it took off the
 * loop (bench create-rate with the server pinned: 978 → 658 posts/s).
 */
export function sqliteWritesOnThread(
  setting: Config['sqliteWriteThread'],
  cpus: number = availableParallelism(),
): boolean {
  return setting === 'on' || (setting === 'auto' && cpus > 1);
}
