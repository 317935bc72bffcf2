import type { Config } from '../config/config.js';
import { createPostgresStore } from './postgres-store.js';
import { createSqliteStore } from './sqlite-store.js';
import type { Store } from './types.js';
import { reportingUnavailability } from './unavailable.js';

/**
 * Opens the store the configuration names: SQLite (the embedded default) or PostgreSQL, migrated.
 * @throws Error when it cannot be opened or migrated.
 */
export async function createStore(config: Config, onQuery?: (sql: string) => void): Promise<Store> {
  const traced = onQuery ? { onQuery } : {};
  const store =
    config.databaseProvider === 'postgres'
      ? await createPostgresStore({ databaseUrl: config.databaseUrl, ...traced })
      : await createSqliteStore({
          databaseUrl: config.databaseUrl,
          synchronous: config.sqliteSynchronous,
          ...traced,
        });
  return reportingUnavailability(store);
}
