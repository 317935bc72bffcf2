import { existsSync, mkdirSync } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../config/config.js';
import { applyMigrationsAt } from '../store/migrations/apply-migrations.js';
import { parsePostgresUrl } from '../store/migrations/apply-postgres-migrations.js';
import {
  migrationsDirectory,
  type Provider,
  readMigrationFiles,
} from '../store/migrations/migration-files.js';
import {
  loadMigrationList,
  type MigrationEngine,
  type MigrationList,
  openSchemaEngine,
  SchemaEngineError,
  sqliteFilePath,
} from '../store/migrations/schema-engine.js';
import { isStoreUnavailable } from '../store/unavailable.js';
import { STORE_FLAGS_HELP, STORE_SETTINGS } from './apps.js';
import type { CommandOptions, ParsedArguments } from './arguments.js';
import { type CliContext, CommandFailure, UsageError } from './cli-context.js';

/** What the migrate subcommands work on: the store the configuration names, a schema, a migrations folder. */
export interface MigrateTarget {
  readonly provider: Provider;
  /** The database URL: never printed, it may hold a password (see `description`). */
  readonly url: string;
  readonly schemaPath: string;
  readonly migrationsDir: string;
  /** The database, for messages. */
  readonly description: string;
  /** Where the engine's log goes: stderr when DEBUG is set. */
  readonly onLog: ((line: string) => void) | undefined;
}

/** The options every migrate subcommand takes: the store flags, and where the schema and migrations are. */
export const MIGRATE_OPTIONS: CommandOptions = { values: ['schema', 'migrations'], settings: STORE_SETTINGS };

/** Ends each migrate subcommand's help. */
export const MIGRATE_FLAGS_HELP = `${STORE_FLAGS_HELP} The provider is the URL's: SQLite (file:) or
PostgreSQL (postgres://…?schema=name), each with its own schema and migrations folder.
--schema FILE and --migrations DIR (default prisma/<provider>/schema.prisma and prisma/<provider>/migrations)
point at another schema or folder, e.g. a copy to try a change on.`;

/**
 * The store of the configuration (--database-url, --data-dir, or the environment), as the other store
 * commands find it, and the schema and migrations folder of its provider.
 * @throws ConfigError for bad settings; UsageError when the schema file does not exist.
 */
export function migrateTarget(args: ParsedArguments, cli: CliContext): MigrateTarget {
  const config = loadConfig(cli.env, {}, args.settings);
  const provider = config.databaseProvider;
  const schemaPath = resolve(
    args.value('schema') ?? fileURLToPath(new URL(`../../prisma/${provider}/schema.prisma`, import.meta.url)),
  );
  if (!existsSync(schemaPath)) throw new UsageError(`no Prisma schema at ${show(schemaPath)} (--schema).`);
  const migrationsDir = resolve(args.value('migrations') ?? migrationsDirectory(provider));
  return {
    provider,
    url: config.databaseUrl,
    schemaPath,
    migrationsDir,
    description: describeDatabase(provider, config.databaseUrl),
    onLog: cli.env.DEBUG ? (line) => cli.stderr(`${line}\n`) : undefined,
  };
}

/** A path for messages: relative to the working directory when inside it, else absolute. */
export function show(path: string): string {
  const inside = relative(resolve('.'), path);
  return inside === '' ? '.' : inside.startsWith('..') ? path : inside;
}

/** The database, for messages: never the URL itself, which may hold a password. */
function describeDatabase(provider: Provider, url: string): string {
  if (provider === 'sqlite') return show(resolve(sqliteFilePath(url)));
  const { connectionString, schema } = parsePostgresUrl(url);
  const { host, pathname } = new URL(connectionString);
  return `schema "${schema}" of database "${decodeURIComponent(pathname.slice(1))}" on ${host}`;
}

/** SQLite creates the database file on first use, but not its folder. */
export function prepareDatabaseFile(target: MigrateTarget): void {
  if (target.provider === 'sqlite')
    mkdirSync(dirname(resolve(sqliteFilePath(target.url))), { recursive: true });
}

/**
 * The migrations folder as the engine takes it.
 * @throws UsageError when its migration_lock.toml names another provider.
 */
export async function migrationList(target: MigrateTarget): Promise<MigrationList> {
  try {
    return await loadMigrationList(target.migrationsDir, target.provider);
  } catch (error) {
    throw new UsageError(`${(error as Error).message} (--migrations)`);
  }
}

/**
 * Runs `work` on the WebAssembly schema engine, opened on the target's schema and `url` (default: the
 * target's database), and closes it.
 * @throws CommandFailure for what the engine refuses, with its Prisma error code.
 */
export async function withEngine<T>(
  target: MigrateTarget,
  work: (engine: MigrationEngine) => Promise<T>,
  url = target.url,
): Promise<T> {
  return engineFailures(async () => {
    const engine = await openSchemaEngine({
      provider: target.provider,
      schemaPath: target.schemaPath,
      url,
      onLog: target.onLog,
    });
    try {
      return await work(engine);
    } finally {
      await engine.close();
    }
  });
}

/**
 * Applies the migrations of the target's folder that its database lacks (with the appliers the gateway
 * runs at start-up), printing each one's name.
 * @throws CommandFailure when a migration fails, or one applied earlier was changed or failed.
 */
export async function applyPending(target: MigrateTarget, cli: CliContext): Promise<string[]> {
  let applied: string[];
  try {
    applied = await applyMigrationsAt(target.provider, target.url, readMigrationFiles(target.migrationsDir));
  } catch (error) {
    // "Cannot reach the database" is the runner's to say, the same way for every command.
    if (isStoreUnavailable(error)) throw error;
    throw new CommandFailure((error as Error).message, { cause: error });
  }
  for (const name of applied) cli.stdout(`Applied ${name}\n`);
  return applied;
}

async function engineFailures<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (!(error instanceof SchemaEngineError)) throw error;
    throw new CommandFailure(`${error.code ? `${error.code}: ` : ''}${error.message}`, { cause: error });
  }
}
