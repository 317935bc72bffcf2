import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { applyPostgresMigrations, parsePostgresUrl } from './apply-postgres-migrations.js';
import { applySqliteMigrations } from './apply-sqlite-migrations.js';
import type { MigrationFile, Provider } from './migration-files.js';
import { sqliteFilePath } from './schema-engine.js';

// How long the SQLite connection waits for another process's write lock (e.g. a running gateway's).
const BUSY_TIMEOUT_MS = 5000;

/**
 * Applies the migrations of `migrations` that the database of `url` lacks, with the appliers the store
 * runs at start-up (each migration in its own transaction, recorded in `_prisma_migrations` as Prisma
 * does), and returns the names it applied. A SQLite file is created, with its folder, if missing.
 *
 * @throws Error when the database cannot be opened or reached, or an applied migration's file was changed
 *   since, or a migration failed earlier.
 */
export async function applyMigrationsAt(
  provider: Provider,
  url: string,
  migrations: readonly MigrationFile[],
): Promise<string[]> {
  if (provider === 'sqlite') {
    const path = resolve(sqliteFilePath(url));
    mkdirSync(dirname(path), { recursive: true });
    const db = new Database(path, { timeout: BUSY_TIMEOUT_MS });
    try {
      return applySqliteMigrations(db, migrations);
    } finally {
      db.close();
    }
  }
  const { connectionString, schema } = parsePostgresUrl(url);
  const client = new pg.Client({ connectionString });
  await client.connect();
  try {
    return await applyPostgresMigrations(client, migrations, schema);
  } finally {
    await client.end();
  }
}
