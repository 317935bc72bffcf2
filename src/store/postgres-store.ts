import { PrismaPg } from '@prisma/adapter-pg';
import pg from 'pg';
import { POSTGRES_POST_BATCHES_IN_FLIGHT } from './feed-log.js';
import { PrismaClient } from './generated/postgres/client.js';
import {
  applyPostgresMigrations,
  parsePostgresUrl,
  searchPathOption,
} from './migrations/apply-postgres-migrations.js';
import { migrationsDirectory, readMigrationFiles } from './migrations/migration-files.js';
import { createPostgresPool, type PostgresBounds } from './postgres-pool.js';
import { createPostgresDirectWrites } from './postgres-post-writer.js';
import type { Client } from './prisma-client.js';
import { createPrismaStore } from './prisma-store.js';
import type { Store } from './types.js';

/**
 * Connections the pool keeps open however long they idle, once opened: one for each batch of posts the
 * group commit writes at once, and one for the reads and periodic writes beside them (delivery marks, the
 * sweeper). Without them a gateway quiet for 10 s closed its connections, and the first second of posts
 * after the pause waited for new ones: a new connection's server process is forked, authenticates, and
 * parses and plans every prepared statement again with cold caches (bench latency: posts took 100-260 ms
 * there, against 5-20 ms once warm, on a loaded machine). Each costs the server one idle process per
 * gateway process; the pool's maximum is unchanged. A warm connection whose peer vanished without a word
 * fails its next statement within the statement bound + 1 s (SERVICE_UNAVAILABLE) and is replaced.
 */
export const WARM_POSTGRES_CONNECTIONS = POSTGRES_POST_BATCHES_IN_FLIGHT + 1;

export interface PostgresStoreOptions {
  /** `postgres://…`, with `?schema=name` for a schema other than `public` (as Prisma reads it). */
  readonly databaseUrl: string;
  /** How long connecting, one statement and one write transaction may take. */
  readonly bounds: PostgresBounds;
  /** Told every SQL statement the store runs. */
  readonly onQuery?: (sql: string) => void;
}

/**
 * Opens the PostgreSQL store: applies pending migrations (safe when several processes start at once),
 * then serves through Prisma's PostgreSQL adapter on a connection pool. One client serves reads and
 * writes: PostgreSQL isolates transactions, so a read never sees uncommitted data.
 *
 * @throws Error when the database cannot be reached or a migration fails.
 */
export async function createPostgresStore(options: PostgresStoreOptions): Promise<Store> {
  const { connectionString, schema } = parsePostgresUrl(options.databaseUrl);
  // Migrations may rightly take long (and wait for another process's): only connecting is bounded.
  const connection = new pg.Client({
    connectionString,
    connectionTimeoutMillis: options.bounds.connectTimeoutMs,
  });
  await connection.connect();
  try {
    await applyPostgresMigrations(connection, readMigrationFiles(migrationsDirectory('postgres')), schema);
  } finally {
    await connection.end();
  }
  const { bounds, onQuery } = options;
  const pool = createPostgresPool({ connectionString, options: searchPathOption(schema) }, bounds, {
    warmConnections: WARM_POSTGRES_CONNECTIONS,
  });
  const adapter = new PrismaPg(pool, { schema, disposeExternalPool: true });
  // An interactive transaction waits at most this long to start (a connection, then BEGIN), and is
  // rolled back past its own bound (Prisma's defaults are 2 s and 5 s, whatever the pool's bounds).
  const transactionOptions = { maxWait: bounds.connectTimeoutMs, timeout: bounds.transactionTimeoutMs };
  const client = onQuery
    ? new PrismaClient({ adapter, transactionOptions, log: [{ emit: 'event', level: 'query' }] })
    : new PrismaClient({ adapter, transactionOptions });
  if (onQuery) (client as unknown as QueryEvents).$on('query', (event) => onQuery(event.query));
  // Both generated clients have the same model API (the schemas are kept identical); the store is
  // typed against the SQLite one.
  const shared = client as unknown as Client;
  // Posts and delivery marks skip Prisma, on connections of the same pool (postgres-post-writer.ts).
  const direct = createPostgresDirectWrites(pool, bounds, onQuery);
  const store = createPrismaStore(shared, shared, 'postgres', direct);
  return {
    ...store,
    async close() {
      try {
        await store.close();
      } finally {
        // Prisma ends the pool only if it ever opened its adapter (at its first query): a store that only
        // posted (the direct writes above) would leave the pool's connections open, the warm ones for ever.
        if (!pool.ending) await pool.end();
      }
    },
  };
}

// The client's $on is typed only when the log option is a literal; one cast here keeps that local.
type QueryEvents = { $on(event: 'query', listener: (event: { query: string }) => void): void };
