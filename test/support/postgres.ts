import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { parsePostgresUrl } from '../../src/store/migrations/apply-postgres-migrations.js';
import { onCleanup } from './cleanup.js';

/** The PostgreSQL the tests use: `TIDINGS_TEST_POSTGRES_URL`, else the one every project machine runs. */
export function testPostgresUrl(): string {
  return process.env.TIDINGS_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
}

/**
 * Creates an empty schema with a random name in the test database, dropped (with everything in it) when
 * the test file ends, and returns its Prisma-style URL (`…?schema=<name>`): each test, or each gateway,
 * gets a database of its own without creating databases.
 */
export async function createTestSchema(): Promise<{ url: string; schema: string }> {
  const schema = `tidings_test_${randomBytes(6).toString('hex')}`;
  const url = new URL(testPostgresUrl());
  url.searchParams.set('schema', schema);
  const name = pg.escapeIdentifier(schema);
  await onTestDatabase((client) => client.query(`CREATE SCHEMA ${name}`));
  onCleanup(() => onTestDatabase((client) => client.query(`DROP SCHEMA IF EXISTS ${name} CASCADE`)));
  return { url: url.toString(), schema };
}

/**
 * An empty database with a random name, dropped when the test file ends: for what PostgreSQL counts per
 * database (e.g. `pg_stat_database.deadlocks`), which other test files in the shared test database move too.
 * Returns its URL (the tables go in its `public` schema) and its name.
 */
export async function createTestDatabase(): Promise<{ url: string; database: string }> {
  const database = `tidings_test_${randomBytes(6).toString('hex')}`;
  const name = pg.escapeIdentifier(database);
  await onTestDatabase((client) => client.query(`CREATE DATABASE ${name}`));
  onCleanup(() => onTestDatabase((client) => client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)));
  const url = new URL(testPostgresUrl());
  url.pathname = `/${database}`;
  return { url: url.toString(), database };
}

/** A connected client to the database of a (Prisma-style) URL, closed when the test file ends. */
export async function connectPostgres(url = testPostgresUrl()): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: parsePostgresUrl(url).connectionString });
  await client.connect();
  onCleanup(() => client.end());
  return client;
}

async function onTestDatabase(work: (client: pg.Client) => Promise<unknown>): Promise<void> {
  const client = new pg.Client({ connectionString: parsePostgresUrl(testPostgresUrl()).connectionString });
  await client.connect();
  try {
    await work(client);
  } finally {
    await client.end();
  }
}
