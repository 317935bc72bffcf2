import { randomUUID } from 'node:crypto';
import type { Database } from 'better-sqlite3';
import type { MigrationFile } from './migration-files.js';

// The table Prisma's migrate keeps, with Prisma's own DDL, so that `prisma migrate deploy` on a machine
// with the native engine sees our records as its own, and the other way round.
const MIGRATIONS_TABLE_DDL = `CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
    "id"                    TEXT PRIMARY KEY NOT NULL,
    "checksum"              TEXT NOT NULL,
    "finished_at"           DATETIME,
    "migration_name"        TEXT NOT NULL,
    "logs"                  TEXT,
    "rolled_back_at"        DATETIME,
    "started_at"            DATETIME NOT NULL DEFAULT current_timestamp,
    "applied_steps_count"   INTEGER UNSIGNED NOT NULL DEFAULT 0
)`;

/**
 * The page size of a database created here: 2 KiB, not SQLite's 4 KiB. A post dirties one page in each
 * of several B-trees (the feed's row, its indexes keyed by feed, the change log), most of them at a
 * place no other post of its commit touches, and the WAL and its checkpoint take every dirty page whole:
 * smaller pages, fewer bytes to write and fsync (about half a post's, checkpoints included: README,
 * Decisions, with the figures and how to convert an older database; test/bench/wal-pages.ts).
 */
export const NEW_DATABASE_PAGE_SIZE = 2048;

interface AppliedRow {
  migration_name: string;
  checksum: string;
  finished_at: string | number | null;
  rolled_back_at: string | number | null;
}

/**
 * Applies the pending committed migrations to a SQLite database, each in its own `BEGIN IMMEDIATE`
 * transaction (so two processes starting at once apply each migration once), recording each in
 * `_prisma_migrations` as Prisma does. Returns the names it applied.
 *
 * @throws Error when an applied migration's file has changed since, or a migration failed earlier:
 *   both need a person, and starting on a schema we cannot vouch for would be worse.
 */
export function applySqliteMigrations(db: Database, migrations: readonly MigrationFile[]): string[] {
  // Before anything is written: a database's page size is fixed once it has a page (SQLite ignores the
  // pragma after that), so only a new database takes it.
  db.pragma(`page_size = ${NEW_DATABASE_PAGE_SIZE}`);
  db.exec(MIGRATIONS_TABLE_DDL);
  // Prisma's SQLite migrations change a table by rebuilding it (create, copy, drop the old one) and rely
  // on foreign keys being off, or the DROP would cascade to child rows. SQLite ignores that pragma inside
  // a transaction, so it is set around each one, and the keys are checked before the commit instead.
  const foreignKeys = db.pragma('foreign_keys', { simple: true });
  db.pragma('foreign_keys = OFF');
  try {
    return migrations.flatMap((migration) => (applyOne(db, migration) ? [migration.name] : []));
  } finally {
    db.pragma(`foreign_keys = ${foreignKeys ? 'ON' : 'OFF'}`);
  }
}

/** Applies one migration unless it was already; returns whether it did. */
function applyOne(db: Database, migration: MigrationFile): boolean {
  const apply = db.transaction(() => {
    const rows = db
      .prepare(
        'SELECT migration_name, checksum, finished_at, rolled_back_at FROM _prisma_migrations WHERE migration_name = ?',
      )
      .all(migration.name) as AppliedRow[];
    const live = rows.filter((row) => row.rolled_back_at === null);
    if (live.some((row) => row.finished_at === null)) {
      throw new Error(
        `Migration ${migration.name} failed earlier and was not rolled back; resolve it before starting.`,
      );
    }
    const done = live.find((row) => row.finished_at !== null);
    if (done) {
      if (done.checksum !== migration.checksum) {
        throw new Error(`Migration ${migration.name} was changed after it was applied; restore the file.`);
      }
      return false;
    }
    db.exec(migration.sql);
    const broken = db.pragma('foreign_key_check') as unknown[];
    if (broken.length > 0) {
      throw new Error(
        `Migration ${migration.name} would leave ${broken.length} rows with dangling foreign keys.`,
      );
    }
    const now = new Date().toISOString();
    db.prepare(
      `INSERT INTO _prisma_migrations (id, checksum, finished_at, migration_name, logs, rolled_back_at, started_at, applied_steps_count)
       VALUES (?, ?, ?, ?, NULL, NULL, ?, 1)`,
    ).run(randomUUID(), migration.checksum, now, migration.name, now);
    return true;
  });
  return apply.immediate();
}
