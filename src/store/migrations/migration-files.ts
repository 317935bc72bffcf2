import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** A committed migration: `prisma/<provider>/migrations/<name>/migration.sql`. */
export interface MigrationFile {
  readonly name: string;
  readonly sql: string;
  /** sha256 of migration.sql, hex: what Prisma records in `_prisma_migrations.checksum`. */
  readonly checksum: string;
}

export type Provider = 'sqlite' | 'postgres';

/** The committed migrations folder of a provider, resolved from this file so any working directory works. */
export function migrationsDirectory(provider: Provider): string {
  return fileURLToPath(new URL(`../../../prisma/${provider}/migrations`, import.meta.url));
}

/** Reads the committed migrations in the order Prisma applies them (by folder name). */
export function readMigrationFiles(directory: string): MigrationFile[] {
  if (!existsSync(directory)) return [];
  return readdirSync(directory, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && existsSync(join(directory, entry.name, 'migration.sql')))
    .map((entry) => entry.name)
    .sort()
    .map((name) => {
      const sql = readFileSync(join(directory, name, 'migration.sql'), 'utf8');
      return { name, sql, checksum: createHash('sha256').update(sql).digest('hex') };
    });
}
