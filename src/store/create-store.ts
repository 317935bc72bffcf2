import type { Config } from '../config/config.js';
import type { Logger } from '../logger.js';
import { createOutageLog } from '../observability/outage-log.js';
import { createPostgresStore } from './postgres-store.js';
import { createSqliteStore } from './sqlite-store.js';
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
  const store =
    config.databaseProvider === 'postgres'
      ? await createPostgresStore({ databaseUrl: config.databaseUrl, bounds: config.postgres, ...traced })
      : await createSqliteStore({
          databaseUrl: config.databaseUrl,
          synchronous: config.sqliteSynchronous,
          ...traced,
        });
  const outage = logger && createOutageLog({ logger, dependency: 'store', countedAs: 'failedCalls' });
  return reportingUnavailability(store, outage);
}
