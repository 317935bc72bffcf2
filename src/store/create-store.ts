import type { Config } from '../config/config.js';
import type { Store } from './types.js';
import { reportingUnavailability } from './unavailable.js';

/**
 * Opens the store the configuration names: SQLite (the embedded default) or PostgreSQL, migrated.
 * @throws Error when it cannot be opened or migrated.
 */
export async function createStore(config: Config, onQuery?: (sql: string) => void): Promise<Store> {
  const traced = onQuery ? { onQuery } : {};
  // Only the configured provider's driver and Prisma client are loaded: a CLI command starts faster.
  const store =
    config.databaseProvider === 'postgres'
      ? await (await import('./postgres-store.js')).createPostgresStore({
          databaseUrl: config.databaseUrl,
          ...traced,
        })
      : await (await import('./sqlite-store.js')).createSqliteStore({
          databaseUrl: config.databaseUrl,
          synchronous: config.sqliteSynchronous,
          ...traced,
        });
  return reportingUnavailability(store);
}
