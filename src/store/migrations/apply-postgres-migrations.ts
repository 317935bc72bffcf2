import { randomUUID } from 'node:crypto';
import pg from 'pg';
import type { MigrationFile } from './migration-files.js';

// The table Prisma's migrate keeps, with Prisma's own PostgreSQL DDL, so that `prisma migrate deploy` on a
// machine with the native engine sees our records as its own, and the other way round.
const MIGRATIONS_TABLE_DDL = `CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
    "id"                    VARCHAR(36) PRIMARY KEY NOT NULL,
    "checksum"              VARCHAR(64) NOT NULL,
    "finished_at"           TIMESTAMPTZ,
    "migration_name"        VARCHAR(255) NOT NULL,
    "logs"                  TEXT,
    "rolled_back_at"        TIMESTAMPTZ,
    "started_at"            TIMESTAMPTZ NOT NULL DEFAULT now(),
    "applied_steps_count"   INTEGER NOT NULL DEFAULT 0
)`;

// The advisory lock key of Prisma's native migrate (database-wide, whatever the schema): holding the same
// one keeps our applier and a `prisma migrate deploy` from migrating at the same time.
const MIGRATE_LOCK_KEY = 72707369;

/** Where a Prisma-style PostgreSQL URL points: node-postgres's connection string, and `?schema=`. */
export interface PostgresTarget {
  /** The URL without Prisma's `schema` parameter (node-postgres would ignore it anyway). */
  readonly connectionString: string;
  /** The PostgreSQL schema the tables live in: `?schema=`, else 'public' as with Prisma. */
  readonly schema: string;
}

export function isPostgresUrl(url: string): boolean {
  return /^postgres(ql)?:\/\//.test(url);
}

export function parsePostgresUrl(url: string): PostgresTarget {
  const parsed = new URL(url);
  const schema = parsed.searchParams.get('schema') ?? 'public';
  parsed.searchParams.delete('schema');
  return { connectionString: parsed.toString(), schema };
}

/**
 * The node-postgres `options` (libpq's) that set each connection's `search_path` to `schema`, spaces and
 * backslashes escaped as libpq wants. node-postgres ignores `?schema=`, and the Prisma client's own
 * `schema` option only qualifies the model queries: raw SQL, and migration scripts, need the path too.
 */
export function searchPathOption(schema: string): string {
  return `-c search_path=${pg.escapeIdentifier(schema).replace(/[\\ ]/g, '\\$&')}`;
}

interface AppliedRow {
  migration_name: string;
  checksum: string;
  finished_at: Date | null;
}

type Queryable = pg.Client | pg.PoolClient;

/**
 * Applies the pending committed migrations to a PostgreSQL schema (created if missing), each in its own
 * transaction, recording each in `_prisma_migrations` as Prisma does. Returns the names it applied.
 *
 * Safe when several processes start at once: each transaction first takes Prisma's migrate advisory lock,
 * then checks again whether its migration is still pending, so each migration is applied exactly once.
 * `search_path` is only set for those transactions (`SET LOCAL`), so a pooled client comes back unchanged.
 * A migration runs as one query: a failed one leaves nothing behind (which also means that statements
 * PostgreSQL refuses inside a transaction, such as `CREATE INDEX CONCURRENTLY`, cannot be used).
 *
 * @throws Error when an applied migration's file has changed since, or a migration failed earlier:
 *   both need a person, and starting on a schema we cannot vouch for would be worse.
 */
export async function applyPostgresMigrations(
  client: Queryable,
  migrations: readonly MigrationFile[],
  schema = 'public',
): Promise<string[]> {
  // A first pass without applying anything: creates the table, and refuses a bad history before any change.
  const applied = await inMigrationTransaction(client, schema, async () => {
    await client.query(MIGRATIONS_TABLE_DDL);
    return appliedRows(client);
  });
  for (const migration of migrations) check(migration, applied);

  const names: string[] = [];
  for (const migration of migrations) {
    if (applied.some((row) => row.migration_name === migration.name)) continue;
    const didApply = await inMigrationTransaction(client, schema, async () => {
      // Another process may have applied it since the first pass; the lock makes this check final.
      if (check(migration, await appliedRows(client, migration.name))) return false;
      await client.query(migration.sql);
      await client.query(
        `INSERT INTO "_prisma_migrations" (id, checksum, finished_at, migration_name, logs, rolled_back_at, started_at, applied_steps_count)
         VALUES ($1, $2, clock_timestamp(), $3, NULL, NULL, now(), 1)`,
        [randomUUID(), migration.checksum, migration.name],
      );
      return true;
    });
    if (didApply) names.push(migration.name);
  }
  return names;
}

/** The applied (not rolled back) migrations' rows, or only those of one migration. */
async function appliedRows(client: Queryable, name?: string): Promise<AppliedRow[]> {
  const { rows } = await client.query<AppliedRow>(
    `SELECT migration_name, checksum, finished_at FROM "_prisma_migrations"
     WHERE rolled_back_at IS NULL AND ($1::text IS NULL OR migration_name = $1)`,
    [name ?? null],
  );
  return rows;
}

/** Whether the migration was applied (unchanged since); throws when it failed or was changed. */
function check(migration: MigrationFile, rows: readonly AppliedRow[]): boolean {
  const own = rows.filter((row) => row.migration_name === migration.name);
  if (own.some((row) => row.finished_at === null)) {
    throw new Error(
      `Migration ${migration.name} failed earlier and was not rolled back; resolve it before starting.`,
    );
  }
  const done = own[0];
  if (done && done.checksum !== migration.checksum) {
    throw new Error(`Migration ${migration.name} was changed after it was applied; restore the file.`);
  }
  return done !== undefined;
}

/** Runs `work` in a transaction holding the migrate lock, with the schema (created if missing) in use. */
async function inMigrationTransaction<T>(
  client: Queryable,
  schema: string,
  work: () => Promise<T>,
): Promise<T> {
  await client.query('BEGIN');
  try {
    await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATE_LOCK_KEY]);
    // Under the lock: concurrent `CREATE … IF NOT EXISTS` can otherwise fail on a unique violation. Not
    // `CREATE SCHEMA IF NOT EXISTS`: it needs the CREATE privilege on the database even when the schema exists.
    const { rowCount } = await client.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [schema]);
    if (rowCount === 0) await client.query(`CREATE SCHEMA ${pg.escapeIdentifier(schema)}`);
    await client.query("SELECT set_config('search_path', $1, true)", [pg.escapeIdentifier(schema)]);
    const result = await work();
    await client.query('COMMIT');
    return result;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {});
    throw error;
  }
}
