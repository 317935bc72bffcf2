// The start-up applier on a real PostgreSQL (TIDINGS_TEST_POSTGRES_URL), each test in a schema of its own.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type pg from 'pg';
import { describe, expect, it } from 'vitest';
import { applyPostgresMigrations } from '../../src/store/migrations/apply-postgres-migrations.js';
import {
  type MigrationFile,
  migrationsDirectory,
  readMigrationFiles,
} from '../../src/store/migrations/migration-files.js';
import { connectPostgres, createTestSchema } from '../support/postgres.js';

const directory = migrationsDirectory('postgres');
const migrations = readMigrationFiles(directory);
const names = migrations.map((migration) => migration.name);
const TABLES = ['App', 'Feed', 'DeviceSubscription', 'DeliveryMark', 'Notification', 'Change'];

async function recorded(client: pg.Client, schema: string) {
  const { rows } = await client.query(
    `SELECT migration_name, checksum, finished_at, rolled_back_at, applied_steps_count
     FROM "${schema}"."_prisma_migrations" ORDER BY migration_name`,
  );
  return rows;
}

async function tables(client: pg.Client, schema: string): Promise<string[]> {
  const { rows } = await client.query<{ table_name: string }>(
    'SELECT table_name FROM information_schema.tables WHERE table_schema = $1',
    [schema],
  );
  return rows.map((row) => row.table_name);
}

describe('applyPostgresMigrations', () => {
  it('applies the committed migrations to a fresh schema and records them as Prisma does', async () => {
    expect(names.length).toBeGreaterThan(0);
    const { schema } = await createTestSchema();
    const client = await connectPostgres();
    const searchPath = (await client.query('SHOW search_path')).rows[0];

    expect(await applyPostgresMigrations(client, migrations, schema)).toEqual(names);

    expect(await tables(client, schema)).toEqual(expect.arrayContaining([...TABLES, '_prisma_migrations']));
    expect(await recorded(client, schema)).toEqual(
      names.map((name) => ({
        migration_name: name,
        // Computed here from the file, not taken from the applier's own reading of it.
        checksum: createHash('sha256')
          .update(readFileSync(join(directory, name, 'migration.sql')))
          .digest('hex'),
        finished_at: expect.any(Date),
        rolled_back_at: null,
        applied_steps_count: 1,
      })),
    );
    // The schema was only set for the migration transactions: the caller's connection is as it was.
    expect((await client.query('SHOW search_path')).rows[0]).toEqual(searchPath);
  });

  it('applies nothing the second time', async () => {
    const { schema } = await createTestSchema();
    const client = await connectPostgres();
    await applyPostgresMigrations(client, migrations, schema);
    const before = await recorded(client, schema);

    expect(await applyPostgresMigrations(client, migrations, schema)).toEqual([]);
    expect(await recorded(client, schema)).toEqual(before);
  });

  it('applies each migration exactly once when five processes start at once', async () => {
    const { schema } = await createTestSchema();
    const clients = await Promise.all(Array.from({ length: 5 }, () => connectPostgres()));

    const results = await Promise.all(
      clients.map((client) => applyPostgresMigrations(client, migrations, schema)),
    );

    expect(results.flat().sort()).toEqual(names);
    expect((await recorded(clients[0] as pg.Client, schema)).map((row) => row.migration_name)).toEqual(names);
  });

  it('creates the schema when it does not exist yet', async () => {
    const { schema } = await createTestSchema();
    const client = await connectPostgres();
    const nested = `${schema}_new`;
    try {
      expect(await applyPostgresMigrations(client, migrations, nested)).toEqual(names);
      expect(await tables(client, nested)).toEqual(expect.arrayContaining(TABLES));
    } finally {
      await client.query(`DROP SCHEMA IF EXISTS "${nested}" CASCADE`);
    }
  });

  it('leaves nothing behind when a migration fails', async () => {
    const { schema } = await createTestSchema();
    const client = await connectPostgres();
    const failing = migration('20990101000000_fails', 'CREATE TABLE "Half" ("id" INTEGER);\nSELECT 1 / 0;');

    await expect(applyPostgresMigrations(client, [...migrations, failing], schema)).rejects.toThrow(
      /division by zero/,
    );

    expect(await tables(client, schema)).not.toContain('Half');
    expect((await recorded(client, schema)).map((row) => row.migration_name)).toEqual(names);
  });

  it('refuses a migration changed after it was applied, and one that failed earlier', async () => {
    const { schema } = await createTestSchema();
    const client = await connectPostgres();
    await applyPostgresMigrations(client, migrations, schema);
    const [first] = migrations as [MigrationFile];

    await expect(
      applyPostgresMigrations(client, [migration(first.name, `${first.sql}\n-- edited`)], schema),
    ).rejects.toThrow(/was changed after it was applied/);

    // How Prisma's own migrate records a migration that failed: a row never finished, never rolled back.
    await client.query(
      `INSERT INTO "${schema}"."_prisma_migrations" (id, checksum, migration_name, applied_steps_count)
       VALUES ('failed', 'x', '20990101000000_failed', 0)`,
    );
    await expect(
      applyPostgresMigrations(
        client,
        [...migrations, migration('20990101000000_failed', 'SELECT 1;')],
        schema,
      ),
    ).rejects.toThrow(/failed earlier/);
  });
});

function migration(name: string, sql: string): MigrationFile {
  return { name, sql, checksum: createHash('sha256').update(sql).digest('hex') };
}
