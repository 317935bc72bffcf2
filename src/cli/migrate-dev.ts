// Offline `prisma migrate` for Tidings: `npm run migrate -- <command>`. The Prisma 7 CLI needs a native
// engine it cannot download everywhere; this drives the WebAssembly engine instead, writes migrations as
// Prisma does, and applies them with the same code the gateway runs at start-up.
import { existsSync, mkdirSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { createInterface } from 'node:readline/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import Database from 'better-sqlite3';
import pg from 'pg';
import {
  applyPostgresMigrations,
  isPostgresUrl,
  parsePostgresUrl,
} from '../store/migrations/apply-postgres-migrations.js';
import { applySqliteMigrations } from '../store/migrations/apply-sqlite-migrations.js';
import {
  type MigrationFile,
  migrationsDirectory,
  type Provider,
  readMigrationFiles,
} from '../store/migrations/migration-files.js';
import {
  type CreateMigrationOutput,
  LOCKFILE_NAME,
  loadMigrationList,
  lockfileContent,
  type MigrationEngine,
  openSchemaEngine,
  resetDatabase,
  SchemaEngineError,
  sqliteFilePath,
} from '../store/migrations/schema-engine.js';

const USAGE = `Usage: npm run migrate -- <command> [options]

Commands:
  dev --name <name> [--create-only]  create a migration for the schema changes, then apply it
                                     (--create-only: write it only, to review or edit it first)
  deploy                             apply the pending migrations
  status                             compare the database's migrations with the committed ones
  diff                               print the SQL the schema needs beyond the committed migrations
                                     (exit code 2 when there is some)
  reset [--force]                    drop every table, then apply all migrations
                                     (PostgreSQL: drops and recreates the URL's schema)

Options:
  --provider <name>   sqlite or postgres (default: the one of the database URL)
  --schema <file>     Prisma schema (default: prisma/<provider>/schema.prisma)
  --migrations <dir>  migrations folder (default: prisma/<provider>/migrations)
  --url <url>         database: file:… or postgres://…[?schema=name] (default: $DATABASE_URL when it is
                      for the provider, else file:./data/tidings.db for SQLite). PostgreSQL needs one for
                      every command, diff included; dev and diff create and drop a temporary database.
`;

const DEFAULT_URL = 'file:./data/tidings.db';

/** A mistake in the command line: reported with a pointer to the usage. */
class UsageError extends Error {}

interface Target {
  readonly provider: Provider;
  readonly url: string;
  readonly schemaPath: string;
  readonly migrationsDir: string;
}

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      name: { type: 'string' },
      'create-only': { type: 'boolean', default: false },
      force: { type: 'boolean', default: false },
      schema: { type: 'string' },
      migrations: { type: 'string' },
      url: { type: 'string' },
      provider: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  const [command, ...extra] = positionals;
  if (values.help || command === undefined) {
    process.stdout.write(USAGE);
    return values.help ? 0 : 1;
  }
  if (extra.length > 0) throw new UsageError(`Unexpected argument: ${extra.join(' ')}`);

  const { provider, url } = chooseDatabase(values.provider, values.url);
  const target: Target = {
    provider,
    url,
    schemaPath: resolve(
      values.schema ?? fileURLToPath(new URL(`../../prisma/${provider}/schema.prisma`, import.meta.url)),
    ),
    migrationsDir: resolve(values.migrations ?? migrationsDirectory(provider)),
  };
  switch (command) {
    case 'dev':
      if (values.name === undefined) {
        throw new UsageError('dev needs --name <name>, e.g. --name add_feed_title');
      }
      return dev(target, migrationSlug(values.name), values['create-only']);
    case 'deploy':
      return deploy(target);
    case 'status':
      return status(target);
    case 'diff':
      return diff(target);
    case 'reset':
      return reset(target, values.force);
    default:
      throw new UsageError(`Unknown command: ${command}`);
  }
}

/**
 * The provider seam: `--provider`, else the database URL picks it, as it picks the store at run time.
 * `DATABASE_URL` is only used when it is for the chosen provider, so `--provider` works in any shell.
 */
function chooseDatabase(
  providerFlag: string | undefined,
  urlFlag: string | undefined,
): { provider: Provider; url: string } {
  if (providerFlag !== undefined && providerFlag !== 'sqlite' && providerFlag !== 'postgres') {
    throw new UsageError(`Unknown provider "${providerFlag}": use sqlite or postgres.`);
  }
  if (urlFlag !== undefined) {
    const provider = providerOf(urlFlag);
    if (providerFlag !== undefined && providerFlag !== provider) {
      throw new UsageError(`--url is a ${provider} URL, not a ${providerFlag} one.`);
    }
    return { provider, url: urlFlag };
  }
  const envUrl = process.env.DATABASE_URL;
  const envProvider = envUrl === undefined ? undefined : providerOf(envUrl);
  const provider = providerFlag ?? envProvider ?? 'sqlite';
  if (envUrl !== undefined && envProvider === provider) return { provider, url: envUrl };
  if (provider === 'sqlite') return { provider, url: DEFAULT_URL };
  throw new UsageError(
    'PostgreSQL needs a database, even for diff: pass --url postgres://… or set DATABASE_URL.',
  );
}

function providerOf(url: string): Provider {
  if (url.startsWith('file:')) return 'sqlite';
  if (isPostgresUrl(url)) return 'postgres';
  throw new UsageError('Unsupported database URL: use file:… (SQLite) or postgres://… (PostgreSQL).');
}

/** The folder-name part Prisma derives from --name: lower-case words joined by "_". */
function migrationSlug(name: string): string {
  const slug = name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/([a-z\d])([A-Z])/g, '$1_$2')
    .toLowerCase()
    .replace(/[^a-z\d]+/g, '_')
    .replace(/^_+|_+$/g, '')
    .slice(0, 200);
  if (slug === '') {
    throw new UsageError(`--name "${name}" has no letter or digit to name the migration after.`);
  }
  return slug;
}

/**
 * Like `prisma migrate dev`: stops on drift, applies the pending migrations, then creates the next one and,
 * unless `createOnly`, applies it too.
 */
async function dev(target: Target, name: string, createOnly: boolean): Promise<number> {
  prepareDatabaseFile(target.url);
  const migrations = await loadMigrationList(target.migrationsDir, target.provider);
  let folder: string;
  const engine = await openEngine(target, target.url);
  try {
    const action = await engine.devDiagnostic(migrations);
    if (action.tag === 'reset') {
      throw new Error(
        `The database cannot follow the migrations:\n${action.reason.trim()}\nRun \`npm run migrate -- reset\` (it drops all data), then try again.`,
      );
    }
    // The engine caches the schema of the migrations the database has. It can only diff from the whole
    // history once the database has all of it, and rebuilds nothing by itself: diagnose again.
    if ((await applyPending(target)).length > 0) await engine.devDiagnostic(migrations);
    const { warnings, unexecutableSteps } = await engine.evaluateDataLoss(migrations);
    for (const { message } of [...unexecutableSteps, ...warnings]) console.warn(`Warning: ${message}`);
    if (!createOnly && warnings.length + unexecutableSteps.length > 0) {
      console.error(
        'No migration created: run again with --create-only, review the SQL, then apply it with `deploy`.',
      );
      return 1;
    }
    const output = await engine.createMigration(migrations, name, createOnly);
    if (output.migrationScript === null) {
      console.log('Already in sync: the schema needs no migration.');
      return 0;
    }
    folder = await writeMigration(target.migrationsDir, output, output.migrationScript);
  } finally {
    await engine.close();
  }
  if (createOnly) {
    console.log(
      `Created ${show(folder)}/migration.sql (not applied). Review it, then run \`npm run migrate -- deploy\`.`,
    );
    return 0;
  }
  console.log(`Created ${show(folder)}/migration.sql`);
  await applyPending(target);
  return 0;
}

/** Writes the migration and the lockfile the way Prisma's CLI does. */
async function writeMigration(
  directory: string,
  output: CreateMigrationOutput,
  script: string,
): Promise<string> {
  const folder = join(directory, output.generatedMigrationName);
  if (existsSync(folder)) throw new Error(`The migration directory already exists at ${show(folder)}`);
  await mkdir(folder, { recursive: true });
  await writeFile(join(folder, `migration.${output.extension}`), script, 'utf8');
  await writeFile(join(directory, LOCKFILE_NAME), lockfileContent(output.connectorType), 'utf8');
  return folder;
}

async function deploy(target: Target): Promise<number> {
  prepareDatabaseFile(target.url);
  console.log(
    `${readMigrationFiles(target.migrationsDir).length} migration(s) found in ${show(target.migrationsDir)}`,
  );
  if ((await applyPending(target)).length === 0) console.log('No pending migration to apply.');
  return 0;
}

/** Applies the committed migrations not yet applied, with the applier the gateway uses at start-up. */
async function applyPending(target: Target): Promise<string[]> {
  const migrations = readMigrationFiles(target.migrationsDir);
  const applied =
    target.provider === 'postgres'
      ? await applyPendingPostgres(target.url, migrations)
      : applyPendingSqlite(target.url, migrations);
  for (const name of applied) console.log(`Applied ${name}`);
  return applied;
}

function applyPendingSqlite(url: string, migrations: readonly MigrationFile[]): string[] {
  const db = new Database(sqliteFilePath(url));
  try {
    return applySqliteMigrations(db, migrations);
  } finally {
    db.close();
  }
}

async function applyPendingPostgres(url: string, migrations: readonly MigrationFile[]): Promise<string[]> {
  const { connectionString, schema } = parsePostgresUrl(url);
  const client = new pg.Client({ connectionString });
  await client.connect();
  try {
    return await applyPostgresMigrations(client, migrations, schema);
  } finally {
    await client.end();
  }
}

/** Like `prisma migrate status`: exit code 1 unless the database has exactly the committed migrations. */
async function status(target: Target): Promise<number> {
  const migrations = await loadMigrationList(target.migrationsDir, target.provider);
  const names = migrations.migrationDirectories.map((migration) => migration.path);
  console.log(`${names.length} migration(s) found in ${show(target.migrationsDir)}`);
  const path = sqliteFilePath(target.url);
  // Not through the engine: opening the database would create the file.
  if (target.provider === 'sqlite' && !existsSync(path)) {
    console.log(`The database ${show(path)} does not exist yet.`);
    return listProblem('Not yet applied', names);
  }
  const engine = await openEngine(target, target.url);
  try {
    const { history, failedMigrationNames, editedMigrationNames } =
      await engine.diagnoseMigrationHistory(migrations);
    let code = listProblem('Failed (resolve by hand, or reset)', failedMigrationNames);
    code ||= listProblem('Changed since they were applied (restore the files)', editedMigrationNames);
    if (history?.diagnostic === 'databaseIsBehind') {
      code ||= listProblem('Not yet applied (run `deploy`)', history.unappliedMigrationNames);
    } else if (history?.diagnostic === 'migrationsDirectoryIsBehind') {
      code ||= listProblem('Applied but missing from the folder', history.unpersistedMigrationNames);
    } else if (history?.diagnostic === 'historiesDiverge') {
      console.log(`The histories diverge after ${history.lastCommonMigrationName ?? 'the start'}.`);
      listProblem('Applied but missing from the folder', history.unpersistedMigrationNames);
      listProblem('Not yet applied', history.unappliedMigrationNames);
      code = 1;
    }
    if (code === 0) console.log('Database schema is up to date!');
    return code;
  } finally {
    await engine.close();
  }
}

function listProblem(title: string, names: readonly string[]): number {
  if (names.length === 0) return 0;
  console.log(`${title}:\n${names.map((name) => `  ${name}`).join('\n')}`);
  return 1;
}

/**
 * For CI: exit code 2 when the schema changed without a migration. SQLite needs no database; PostgreSQL
 * builds the migrations' schema in a temporary database, and leaves the URL's one untouched.
 */
async function diff(target: Target): Promise<number> {
  const migrations = await loadMigrationList(target.migrationsDir, target.provider);
  const engine = await openEngine(target, target.provider === 'sqlite' ? ':memory:' : target.url);
  try {
    const sql = await engine.diffFromMigrations(migrations);
    if (sql === null) {
      console.error('The schema matches the committed migrations.');
      return 0;
    }
    process.stdout.write(sql);
    console.error(
      'The schema needs the SQL above beyond the committed migrations: run `npm run migrate -- dev --name …`.',
    );
    return 2;
  } finally {
    await engine.close();
  }
}

async function reset(target: Target, force: boolean): Promise<number> {
  const what = describeDatabase(target);
  if (!force && !(await confirm(`Drop every table of ${what}, with all its data?`))) {
    console.error('Reset cancelled.');
    return 1;
  }
  prepareDatabaseFile(target.url);
  await resetDatabase(target.provider, target.url);
  console.log(`Dropped every table of ${what}.`);
  await applyPending(target);
  return 0;
}

/** The database, for messages: never the URL itself, which may hold a password. */
function describeDatabase(target: Target): string {
  if (target.provider === 'sqlite') return show(sqliteFilePath(target.url));
  const { connectionString, schema } = parsePostgresUrl(target.url);
  const { host, pathname } = new URL(connectionString);
  return `schema "${schema}" of database "${decodeURIComponent(pathname.slice(1))}" on ${host}`;
}

async function confirm(question: string): Promise<boolean> {
  if (!process.stdin.isTTY) throw new UsageError('reset drops all data: pass --force to confirm it.');
  const terminal = createInterface({ input: process.stdin, output: process.stdout });
  try {
    return /^y(es)?$/i.test((await terminal.question(`${question} [y/N] `)).trim());
  } finally {
    terminal.close();
  }
}

function openEngine(target: Target, url: string): Promise<MigrationEngine> {
  if (!existsSync(target.schemaPath)) {
    throw new UsageError(`Prisma schema not found: ${show(target.schemaPath)}`);
  }
  const onLog = process.env.DEBUG ? (line: string) => console.error(line) : undefined;
  return openSchemaEngine({ provider: target.provider, schemaPath: target.schemaPath, url, onLog });
}

/** SQLite creates the database file on first use, but not its folder. */
function prepareDatabaseFile(url: string): void {
  if (!url.startsWith('file:')) return;
  mkdirSync(dirname(resolve(sqliteFilePath(url))), { recursive: true });
}

function show(path: string): string {
  return relative(process.cwd(), path) || '.';
}

function report(error: unknown): number {
  if (error instanceof UsageError || (error instanceof TypeError && 'code' in error)) {
    // parseArgs reports unknown or malformed options as TypeErrors with an ERR_PARSE_ARGS_* code.
    console.error(`${error.message}\nRun \`npm run migrate -- --help\` for the usage.`);
  } else if (error instanceof SchemaEngineError) {
    console.error(`Error${error.code ? ` ${error.code}` : ''}: ${error.message}`);
  } else {
    console.error(`Error: ${error instanceof Error ? error.message : String(error)}`);
  }
  return 1;
}

// Exit explicitly: the WebAssembly engine leaves 60-second timers behind (it never clears its timeouts),
// which would keep the process alive for a minute after the work is done. (The pg pools are closed by
// then: an exit must not cut a query short.)
main(process.argv.slice(2))
  .catch(report)
  .then((code) => process.exit(code));
