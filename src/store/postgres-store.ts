import { PrismaPg } from '@prisma/adapter-pg';
import pg from 'pg';
import { PrismaClient } from './generated/postgres/client.js';
import {
  applyPostgresMigrations,
  parsePostgresUrl,
  searchPathOption,
} from './migrations/apply-postgres-migrations.js';
import { migrationsDirectory, readMigrationFiles } from './migrations/migration-files.js';
import type { Client } from './prisma-client.js';
import { createPrismaStore } from './prisma-store.js';
import type { Store } from './types.js';

export interface PostgresStoreOptions {
  /** `postgres://…`, with `?schema=name` for a schema other than `public` (as Prisma reads it). */
  readonly databaseUrl: string;
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
  const connection = new pg.Client({ connectionString });
  await connection.connect();
  try {
    await applyPostgresMigrations(connection, readMigrationFiles(migrationsDirectory('postgres')), schema);
  } finally {
    await connection.end();
  }
  const adapter = new PrismaPg({ connectionString, options: searchPathOption(schema) }, { schema });
  const { onQuery } = options;
  const client = onQuery
    ? new PrismaClient({ adapter, log: [{ emit: 'event', level: 'query' }] })
    : new PrismaClient({ adapter });
  if (onQuery) (client as unknown as QueryEvents).$on('query', (event) => onQuery(event.query));
  // Both generated clients have the same model API (the schemas are kept identical); the store is
  // typed against the SQLite one.
  const shared = client as unknown as Client;
  return createPrismaStore(shared, shared, 'postgres');
}

// The client's $on is typed only when the log option is a literal; one cast here keeps that local.
type QueryEvents = { $on(event: 'query', listener: (event: { query: string }) => void): void };
