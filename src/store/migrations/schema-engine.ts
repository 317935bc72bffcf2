// Prisma's schema engine, compiled to WebAssembly, driven through a driver adapter: what `prisma migrate`
// needs, without the native engine the Prisma 7 CLI insists on downloading (see /work/shared/PRISMA.md).
// The rough edges of the 7.10.0 SQLite and PostgreSQL adapters are worked around here, and only here.
import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { PrismaBetterSqlite3 } from '@prisma/adapter-better-sqlite3';
import { PrismaPg } from '@prisma/adapter-pg';
import {
  bindMigrationAwareSqlAdapterFactory,
  type ErrorCapturingSqlMigrationAwareDriverAdapterFactory,
  type SqlDriverAdapter,
  type SqlMigrationAwareDriverAdapterFactory,
} from '@prisma/driver-adapter-utils';
import type {
  CreateMigrationOutput,
  DevAction,
  DiagnoseMigrationHistoryOutput,
  EvaluateDataLossOutput,
  MigrationList,
  SchemaEngine,
  SchemaFilter,
} from '@prisma/schema-engine-wasm';
import Database from 'better-sqlite3';
import pg from 'pg';
import { parsePostgresUrl, searchPathOption } from './apply-postgres-migrations.js';
import { applySqliteMigrations } from './apply-sqlite-migrations.js';
import { type Provider, readMigrationFiles } from './migration-files.js';

export type {
  CreateMigrationOutput,
  DevAction,
  DiagnoseMigrationHistoryOutput,
  EvaluateDataLossOutput,
  MigrationList,
};

/** What the engine calls each provider, in `migration_lock.toml` and `CreateMigrationOutput.connectorType`. */
export const connectorTypes: Record<Provider, CreateMigrationOutput['connectorType']> = {
  sqlite: 'sqlite',
  postgres: 'postgresql',
};

export const LOCKFILE_NAME = 'migration_lock.toml';

const NO_FILTER: SchemaFilter = { externalTables: [], externalEnums: [] };

/** An engine failure, with Prisma's error code (e.g. P3006) when it has one and without the Rust span trace. */
export class SchemaEngineError extends Error {
  override name = 'SchemaEngineError';
  constructor(
    message: string,
    readonly code: string | undefined,
  ) {
    super(message);
  }
}

export interface SchemaEngineOptions {
  readonly provider: Provider;
  /** The Prisma schema to migrate to. */
  readonly schemaPath: string;
  /**
   * The development database: a SQLite `file:` URL, or ':memory:' when only migrations and schema are
   * compared; a `postgres://` URL (with Prisma's `?schema=`), which is needed even to compare, the engine
   * building the migrations' schema in a temporary database next to it.
   */
  readonly url: string;
  readonly onLog?: ((line: string) => void) | undefined;
}

/** The engine commands behind `prisma migrate`, bound to one schema and one database. */
export interface MigrationEngine {
  /**
   * `migrate dev`'s first step: reports drift. Also caches the schema of the migrations the database has,
   * which `evaluateDataLoss` and `createMigration` need (they cannot build it: no shadow database there).
   * So call it on a database that has all of `migrations` applied before those two.
   */
  devDiagnostic(migrations: MigrationList): Promise<DevAction>;
  evaluateDataLoss(migrations: MigrationList): Promise<EvaluateDataLossOutput>;
  createMigration(migrations: MigrationList, name: string, draft: boolean): Promise<CreateMigrationOutput>;
  /** The SQL that takes a database built from `migrations` to the schema, or null when there is none. */
  diffFromMigrations(migrations: MigrationList): Promise<string | null>;
  diagnoseMigrationHistory(migrations: MigrationList): Promise<DiagnoseMigrationHistoryOutput>;
  close(): Promise<void>;
}

/** The file path of a SQLite `file:` URL, read the way the better-sqlite3 adapter reads it. */
export function sqliteFilePath(url: string): string {
  return url.replace(/^file:/, '');
}

/**
 * The migrations folder as Prisma's CLI hands it to the engine. Migrations are read with the same function
 * the start-up applier uses, so the engine and the applier always see the same list in the same order.
 *
 * @throws Error when `migration_lock.toml` names another provider: the engine would then misread the SQL.
 */
export async function loadMigrationList(directory: string, provider: Provider): Promise<MigrationList> {
  const lockfile = await readFile(join(directory, LOCKFILE_NAME), 'utf8').catch(() => null);
  const locked = lockfile?.match(/^provider\s*=\s*"([^"]*)"/m)?.[1];
  if (locked !== undefined && locked !== connectorTypes[provider]) {
    throw new Error(
      `${join(directory, LOCKFILE_NAME)} is for provider "${locked}", not "${connectorTypes[provider]}".`,
    );
  }
  return {
    baseDir: directory,
    lockfile: { path: LOCKFILE_NAME, content: lockfile },
    shadowDbInitScript: '',
    migrationDirectories: readMigrationFiles(directory).map((migration) => ({
      path: migration.name,
      migrationFile: { path: 'migration.sql', content: { tag: 'ok', value: migration.sql } },
    })),
  };
}

/** The content Prisma writes to `migration_lock.toml`. */
export function lockfileContent(connectorType: CreateMigrationOutput['connectorType']): string {
  return `# Please do not edit this file manually\n# It should be added in your version-control system (e.g., Git)\nprovider = "${connectorType}"\n`;
}

// The WebAssembly global as used below: the project's libs (ES2023, @types/node 20) do not declare it.
declare const WebAssembly: {
  instantiate(
    bytes: Uint8Array,
    imports: object,
  ): Promise<{ instance: { exports: Record<string, unknown> } }>;
};

let engineClass: Promise<typeof SchemaEngine> | undefined;

/**
 * Loads the engine as Prisma 6's CLI did: the package's main entry imports the `.wasm` as an ES module,
 * which Node only allows behind a flag. Loaded once per process: wasm-bindgen keeps module-level state.
 */
function loadEngineClass(): Promise<typeof SchemaEngine> {
  engineClass ??= (async () => {
    const bindingsPath = createRequire(import.meta.url).resolve(
      '@prisma/schema-engine-wasm/schema_engine_bg',
    );
    const bindings = await import('@prisma/schema-engine-wasm/schema_engine_bg');
    const bytes = await readFile(bindingsPath.replace(/\.js$/, '.wasm'));
    const { instance } = await WebAssembly.instantiate(bytes, { './schema_engine_bg.js': bindings });
    bindings.__wbg_set_wasm(instance.exports);
    (instance.exports.__wbindgen_start as () => void)();
    return bindings.SchemaEngine;
  })();
  return engineClass;
}

/**
 * Opens the engine on a schema file and a database. Close it when done: it holds database connections.
 * Even closed, it leaves 60-second timers pending (it never clears its timeouts): a CLI should exit explicitly.
 */
export async function openSchemaEngine(options: SchemaEngineOptions): Promise<MigrationEngine> {
  const schemaContent = await readFile(options.schemaPath, 'utf8');
  const schema = { files: [{ path: options.schemaPath, content: schemaContent }] };
  if (options.provider === 'sqlite' && options.url !== ':memory:') ensureSqliteMigrationsTable(options.url);

  const connections: SqlDriverAdapter[] = [];
  const factory = bindMigrationAwareSqlAdapterFactory(
    adapterFactories[options.provider](options.url, connections),
  );
  const onLog = options.onLog ?? (() => {});
  const Engine = await loadEngineClass();
  const close = () => Promise.all(connections.map((connection) => connection.dispose()));
  const engine = await call(factory, () =>
    Engine.new({ datamodels: [[options.schemaPath, schemaContent]] }, onLog, factory),
  ).catch(async (error: unknown) => {
    await close();
    throw error;
  });

  return {
    async devDiagnostic(migrationsList) {
      const { action } = await call(factory, () =>
        engine.devDiagnostic({ migrationsList, filters: NO_FILTER }),
      );
      return action;
    },
    evaluateDataLoss: (migrationsList) =>
      call(factory, () => engine.evaluateDataLoss({ migrationsList, schema, filters: NO_FILTER })),
    createMigration: (migrationsList, migrationName, draft) =>
      call(factory, () =>
        engine.createMigration({ draft, migrationName, migrationsList, schema, filters: NO_FILTER }),
      ),
    async diffFromMigrations(migrationsList) {
      // Without any migration there is no lockfile yet, and the engine refuses a folder without one.
      const from =
        migrationsList.migrationDirectories.length === 0
          ? ({ tag: 'empty' } as const)
          : ({ tag: 'migrations', ...migrationsList } as const);
      const to = { tag: 'schemaDatamodel', ...schema } as const;
      const result = await call(factory, () =>
        engine.diff({ from, to, script: true, exitCode: true, filters: NO_FILTER }),
      );
      // With `exitCode`, the engine answers 2 when the diff is not empty (else the script is a comment).
      return result.exitCode === 2 ? (result.stdout ?? '') : null;
    },
    diagnoseMigrationHistory: (migrationsList) =>
      call(factory, () =>
        engine.diagnoseMigrationHistory({ migrationsList, optInToShadowDatabase: false, filters: NO_FILTER }),
      ),
    async close() {
      engine.free();
      await close();
    },
  };
}

/**
 * Empties a database. SQLite: drops its tables and views (the engine's `reset` only deletes rows there).
 * PostgreSQL: drops the URL's schema with everything in it and creates it again, as Prisma's reset does.
 */
export async function resetDatabase(provider: Provider, url: string): Promise<void> {
  if (provider === 'postgres') return resetPostgresSchema(url);
  const adapter = await adapterFactories[provider](url, []).connect();
  try {
    const objects = await adapter.queryRaw({
      sql: "SELECT type, name FROM sqlite_master WHERE type IN ('table', 'view') AND name NOT LIKE 'sqlite_%'",
      args: [],
      argTypes: [],
    });
    const drops = objects.rows.map(
      ([type, name]) => `DROP ${String(type).toUpperCase()} "${String(name).replaceAll('"', '""')}";`,
    );
    if (drops.length === 0) return;
    // Foreign keys off, so that tables can go in any order (and without cascading deletes first).
    await adapter.executeScript(
      ['PRAGMA foreign_keys = OFF;', ...drops, 'PRAGMA foreign_keys = ON;'].join('\n'),
    );
  } finally {
    await adapter.dispose();
  }
}

const adapterFactories: Record<
  Provider,
  (url: string, connections: SqlDriverAdapter[]) => SqlMigrationAwareDriverAdapterFactory
> = { sqlite: sqliteAdapterFactory, postgres: postgresAdapterFactory };

/** The better-sqlite3 adapter, with its connections recorded (to close them) and scripts run whole. */
function sqliteAdapterFactory(
  url: string,
  connections: SqlDriverAdapter[],
): SqlMigrationAwareDriverAdapterFactory {
  const inner = new PrismaBetterSqlite3({ url });
  const opened = (adapter: SqlDriverAdapter): SqlDriverAdapter => {
    connections.push(adapter);
    return readIndexSqlByName(runScriptsWhole(adapter));
  };
  return {
    provider: inner.provider,
    adapterName: inner.adapterName,
    connect: async () => opened(await inner.connect()),
    connectToShadowDb: async () => opened(await inner.connectToShadowDb()),
  };
}

/**
 * The engine applies migration scripts to the shadow database with `executeRaw`, which better-sqlite3's
 * `prepare()` rejects when a script holds several statements, or none (an empty migration is a comment):
 * those go through the driver's `exec()` instead.
 */
function runScriptsWhole(adapter: SqlDriverAdapter): SqlDriverAdapter {
  const executeRaw = adapter.executeRaw.bind(adapter);
  adapter.executeRaw = async (query) => {
    try {
      return await executeRaw(query);
    } catch (error) {
      const isScript =
        error instanceof RangeError && /more than one statement|no statements/.test(error.message);
      if (!isScript || query.args.length > 0) throw error;
      await adapter.executeScript(query.sql);
      return 0;
    }
  };
  return adapter;
}

/** The engine's look-up of an index's definition by name, as it sends it. */
const INDEX_SQL_BY_NAME =
  /^(SELECT sql FROM sqlite_master WHERE type = 'index' AND name = )"((?:[^"]|"")*)";?$/;

/**
 * The engine looks up a partial index's definition (Notification's fallbackDueAt index is one) with the
 * name in double quotes, a string only where SQLite still accepts double-quoted strings; better-sqlite3
 * is built without them (SQLITE_DQS=0), so "column not found" failed `migrate diff` and `dev`. The name is
 * sent as the string literal it is meant to be.
 */
function readIndexSqlByName(adapter: SqlDriverAdapter): SqlDriverAdapter {
  const queryRaw = adapter.queryRaw.bind(adapter);
  adapter.queryRaw = (query) => {
    const match = INDEX_SQL_BY_NAME.exec(query.sql.trim());
    if (!match) return queryRaw(query);
    const name = (match[2] as string).replaceAll('""', '"').replaceAll("'", "''");
    return queryRaw({ ...query, sql: `${match[1]}'${name}'` });
  };
  return adapter;
}

/**
 * The engine reports P1014 ("table does not exist") instead of "no migration applied yet" when
 * `_prisma_migrations` is absent. Applying no migration creates it, with the applier's (Prisma's) DDL.
 */
function ensureSqliteMigrationsTable(url: string): void {
  const db = new Database(sqliteFilePath(url));
  try {
    applySqliteMigrations(db, []);
  } finally {
    db.close();
  }
}

function resetPostgresSchema(url: string): Promise<void> {
  const { connectionString, schema } = parsePostgresUrl(url);
  const name = pg.escapeIdentifier(schema);
  return onPostgres(connectionString, (client) =>
    client.query(`DROP SCHEMA IF EXISTS ${name} CASCADE; CREATE SCHEMA ${name}`),
  );
}

/**
 * The pg adapter on pools of our own, so that everything it opens is closed (pools keep a process alive),
 * with its PostgreSQL rough edges worked around:
 * - its shadow database is the main one (node-postgres lets the connection string override the database
 *   it is given), so we create and drop a temporary database ourselves;
 * - it cannot map the `"char"` type (OID 18) of catalog columns the engine reads: reported as text;
 * - it splits scripts on `;`, breaking any `;` inside a string or a function body, and applying a failed
 *   script half-way: scripts run as one query instead.
 * Every connection sets `search_path` to the URL's schema: migration scripts name tables without one.
 */
function postgresAdapterFactory(
  url: string,
  connections: SqlDriverAdapter[],
): SqlMigrationAwareDriverAdapterFactory {
  const { connectionString, schema } = parsePostgresUrl(url);
  const open = async (databaseUrl: string, afterDispose?: () => Promise<void>) => {
    const pool = new pg.Pool({ connectionString: databaseUrl, options: searchPathOption(schema) });
    reportCharAsText(pool);
    const adapter = await new PrismaPg(pool, { schema, disposeExternalPool: true }).connect();
    adapter.executeScript = async (script) => {
      // Without arguments, node-postgres sends the text as a simple query: several statements are allowed,
      // and run in one implicit transaction. The adapter still turns errors into Prisma's.
      await adapter.executeRaw({ sql: script, args: [], argTypes: [] });
    };
    const dispose = adapter.dispose.bind(adapter);
    let disposed: Promise<void> | undefined;
    // The engine never disposes what it opened, so `close` does; once only (`pool.end()` twice throws).
    adapter.dispose = () => {
      disposed ??= dispose().then(afterDispose);
      return disposed;
    };
    connections.push(adapter);
    return adapter;
  };
  const factory = new PrismaPg(connectionString, { schema });
  return {
    provider: factory.provider,
    adapterName: factory.adapterName,
    connect: () => open(connectionString),
    async connectToShadowDb() {
      const database = `tidings_shadow_${randomUUID().replaceAll('-', '')}`;
      await onPostgres(connectionString, (client) => client.query(`CREATE DATABASE "${database}"`));
      const shadowUrl = new URL(connectionString);
      shadowUrl.pathname = `/${database}`;
      const adapter = await open(shadowUrl.toString(), () =>
        onPostgres(connectionString, (client) => client.query(`DROP DATABASE IF EXISTS "${database}"`)),
      );
      if (schema !== 'public') {
        await adapter.executeRaw({
          sql: `CREATE SCHEMA ${pg.escapeIdentifier(schema)}`,
          args: [],
          argTypes: [],
        });
      }
      return adapter;
    },
  };
}

/** Runs `work` on a connection of its own to the database of `connectionString`. */
async function onPostgres(
  connectionString: string,
  work: (client: pg.Client) => Promise<unknown>,
): Promise<void> {
  const client = new pg.Client({ connectionString });
  await client.connect();
  try {
    await work(client);
  } finally {
    await client.end();
  }
}

const CHAR_OID = 18;
const TEXT_OID = 25;

/**
 * The engine reads catalog columns of type `"char"` (e.g. `pg_class.relkind`), which the adapter refuses
 * ("unsupported native data type"). node-postgres already parses them as strings: only the column's type
 * needs to say text. The adapter queries through `pool.query` (promise form), so that is where to do it.
 */
function reportCharAsText(pool: pg.Pool): void {
  const query = pool.query.bind(pool) as (...args: unknown[]) => Promise<pg.QueryResult | pg.QueryResult[]>;
  pool.query = (async (...args: unknown[]) => {
    const result = await query(...args);
    for (const part of Array.isArray(result) ? result : [result]) {
      for (const field of part?.fields ?? []) if (field.dataTypeID === CHAR_OID) field.dataTypeID = TEXT_OID;
    }
    return result;
  }) as typeof pool.query;
}

/** Runs an engine command, turning its errors into `SchemaEngineError`s a person can read. */
async function call<T>(
  factory: ErrorCapturingSqlMigrationAwareDriverAdapterFactory,
  command: () => Promise<T>,
): Promise<T> {
  try {
    return await command();
  } catch (error) {
    if (!(error instanceof Error)) throw error;
    const code = 'code' in error && typeof error.code === 'string' ? error.code : undefined;
    // The engine only names JavaScript errors ("External error id#3"); the adapter factory kept them.
    const message = error.message.replace(/External error id#(\d+)/g, (text, id: string) => {
      const original = factory.errorRegistry.consumeError(Number(id))?.error;
      return original instanceof Error ? original.message : text;
    });
    // Cut the Rust span trace ("   0: sql_schema_connector::…") that follows the message.
    throw new SchemaEngineError(message.split(/\n\s+\d+: /)[0]?.trim() ?? message, code);
  }
}
