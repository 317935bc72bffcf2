import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { parsePostgresUrl } from './apply-postgres-migrations.js';
import type { MigrationFile, Provider } from './migration-files.js';
import { sqliteFilePath } from './schema-engine.js';

/**
 * What a database holds of ours, read without changing it:
 * - `missing`: no SQLite file there, or no PostgreSQL database of that name;
 * - `empty`: it exists but none of our migrations was applied to it (no Tidings tables: a new file, a new
 *   schema, another application's database);
 * - `behind`: a Tidings database that lacks some of the migrations (`pending`, in order);
 * - `ready`: every migration is applied.
 */
export type DatabaseState =
  | { readonly kind: 'missing' }
  | { readonly kind: 'empty' }
  | { readonly kind: 'behind'; readonly pending: readonly string[] }
  | { readonly kind: 'ready' };

// How long the SQLite connection waits for another process's write lock (a running gateway's).
const BUSY_TIMEOUT_MS = 5000;
// A PostgreSQL server that accepts the connection but never answers must not hang the command.
const POSTGRES_TIMEOUT_MS = 10_000;
// PostgreSQL's "invalid catalog name": the database named in the URL does not exist.
const NO_SUCH_DATABASE = '3D000';

/**
 * Reads which of `migrations` the database of `url` has applied (from `_prisma_migrations`, as the
 * appliers record them), creating nothing: no SQLite file or folder, no PostgreSQL schema or table.
 * @throws Error when the database cannot be opened or reached (see isStoreUnavailable), or a query fails.
 */
export async function readDatabaseState(
  provider: Provider,
  url: string,
  migrations: readonly MigrationFile[],
): Promise<DatabaseState> {
  const applied = provider === 'sqlite' ? appliedInSqlite(url) : await appliedInPostgres(url);
  if (applied === 'missing') return { kind: 'missing' };
  const pending = migrations.map((migration) => migration.name).filter((name) => !applied.has(name));
  if (pending.length === migrations.length) return { kind: 'empty' };
  return pending.length > 0 ? { kind: 'behind', pending } : { kind: 'ready' };
}

const APPLIED = `SELECT migration_name FROM _prisma_migrations
  WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL`;

function appliedInSqlite(url: string): Set<string> | 'missing' {
  const path = resolve(sqliteFilePath(url));
  if (!existsSync(path)) return 'missing';
  // fileMustExist: should the file vanish in between, opening it must not create it again.
  const db = new Database(path, { fileMustExist: true, timeout: BUSY_TIMEOUT_MS });
  try {
    const table = db
      .prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = '_prisma_migrations'")
      .get();
    if (table === undefined) return new Set();
    const rows = db.prepare(APPLIED).all() as Array<{ migration_name: string }>;
    return new Set(rows.map((row) => row.migration_name));
  } finally {
    db.close();
  }
}

async function appliedInPostgres(url: string): Promise<Set<string> | 'missing'> {
  const { connectionString, schema } = parsePostgresUrl(url);
  const client = new pg.Client({
    connectionString,
    connectionTimeoutMillis: POSTGRES_TIMEOUT_MS,
    query_timeout: POSTGRES_TIMEOUT_MS,
  });
  try {
    await client.connect();
  } catch (error) {
    if ((error as { code?: unknown }).code === NO_SUCH_DATABASE) return 'missing';
    throw error;
  }
  try {
    const table = `${pg.escapeIdentifier(schema)}."_prisma_migrations"`;
    const { rows } = await client.query<{ present: boolean }>(
      'SELECT to_regclass($1) IS NOT NULL AS present',
      [table],
    );
    if (!rows[0]?.present) return new Set();
    const applied = await client.query<{ migration_name: string }>(
      APPLIED.replace('_prisma_migrations', table),
    );
    return new Set(applied.rows.map((row) => row.migration_name));
  } finally {
    await client.end();
  }
}
