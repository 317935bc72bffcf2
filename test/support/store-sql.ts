import Database from 'better-sqlite3';
import pg from 'pg';
import { parsePostgresUrl, searchPathOption } from '../../src/store/migrations/apply-postgres-migrations.js';
import type { TestGateway } from './gateway.js';

/**
 * Runs SQL on a gateway's store from outside, as another process would (to break it on purpose, or to
 * read what it recorded): the SQLite file, or the PostgreSQL schema.
 */
export async function storeSql<T = Record<string, unknown>>(t: TestGateway, sql: string): Promise<T[]> {
  const config = t.gateway.services.config;
  if (config.databaseProvider === 'sqlite') {
    const db = new Database(config.databaseUrl.replace(/^file:/, ''));
    try {
      const statement = db.prepare(sql);
      if (statement.reader) return statement.all() as T[];
      statement.run();
      return [];
    } finally {
      db.close();
    }
  }
  const { connectionString, schema } = parsePostgresUrl(config.databaseUrl);
  const client = new pg.Client({ connectionString, options: searchPathOption(schema) });
  await client.connect();
  try {
    return (await client.query(sql)).rows as T[];
  } finally {
    await client.end();
  }
}
