import { resolve } from 'node:path';
import { type Config, type Env, loadConfig, type SettingFlags } from '../config/config.js';
import { SETTINGS } from '../config/settings.js';
import { createStore } from '../store/create-store.js';
import { parsePostgresUrl } from '../store/migrations/apply-postgres-migrations.js';
import { type DatabaseState, readDatabaseState } from '../store/migrations/database-state.js';
import { migrationsDirectory, readMigrationFiles } from '../store/migrations/migration-files.js';
import { sqliteFilePath } from '../store/migrations/schema-engine.js';
import type { Store } from '../store/types.js';
import { type CliContext, UsageError } from './cli-context.js';

/**
 * Runs `work` on the store the configuration names, which must already be a Tidings database with every
 * migration applied, and closes it. Only `serve` and `migrate` create or migrate a database: any other
 * command run from the wrong directory, or with a mistyped --data-dir, would otherwise make a new empty
 * store beside the caller and print credentials into it that the gateway never sees.
 * @throws UsageError (exit code 2) naming where it looked, when there is no database there, it holds no
 *   Tidings tables, or it lacks migrations; ConfigError for bad settings; the store's errors.
 */
export async function withExistingStore<T>(
  flags: SettingFlags,
  cli: CliContext,
  work: (store: Store, config: Config) => Promise<T>,
): Promise<T> {
  const config = loadConfig(cli.env, {}, flags);
  const provider = config.databaseProvider;
  const state = await readDatabaseState(
    provider,
    config.databaseUrl,
    readMigrationFiles(migrationsDirectory(provider)),
  );
  if (state.kind !== 'ready') throw new UsageError(notReady(state, config, flags, cli.env));
  const store = await createStore(config);
  try {
    return await work(store, config);
  } finally {
    await store.close();
  }
}

/** One line: what is wrong with the database, where the command looked, and what to do. */
function notReady(
  state: Exclude<DatabaseState, { kind: 'ready' }>,
  config: Config,
  flags: SettingFlags,
  env: Env,
): string {
  const store = describeStore(config, flags, env);
  if (state.kind === 'behind') {
    return (
      `The Tidings store ${store.where} lacks ${state.pending.length} migration(s) (${state.pending.join(', ')}): ` +
      'run `tidings migrate` with the same store options, or start the gateway, which migrates on start.'
    );
  }
  return (
    `No Tidings store ${store.where}: ${state.kind === 'missing' ? store.missing : store.empty}. ` +
    "Run this where the gateway runs, or point it at the gateway's store: --data-dir DIR (or TIDINGS_DATA_DIR) " +
    'for its data directory, or --database-url URL (or DATABASE_URL). Only `tidings serve` and ' +
    '`tidings migrate` create a new one.'
  );
}

/**
 * Where the store was looked for and which setting said so, and how to say it is missing or empty; never
 * the URL itself (it may hold a password).
 */
function describeStore(config: Config, flags: SettingFlags, env: Env) {
  const urlFrom = flags[SETTINGS.databaseUrl.name]
    ? '--database-url'
    : env.DATABASE_URL
      ? 'DATABASE_URL'
      : null;
  if (config.databaseProvider === 'postgres') {
    const { connectionString, schema } = parsePostgresUrl(config.databaseUrl);
    const { host, pathname } = new URL(connectionString);
    const database = `database "${decodeURIComponent(pathname.slice(1))}" on ${host}`;
    return {
      where: `in schema "${schema}" of ${database} (${urlFrom})`,
      missing: `there is no ${database}`,
      empty: 'the schema holds no Tidings tables',
    };
  }
  const file = resolve(sqliteFilePath(config.databaseUrl));
  const facts = { missing: `${file} does not exist`, empty: `${file} holds no Tidings tables` };
  if (urlFrom) return { where: `at ${file} (${urlFrom})`, ...facts };
  const dirFrom = flags[SETTINGS.dataDir.name]
    ? '--data-dir'
    : env.TIDINGS_DATA_DIR
      ? 'TIDINGS_DATA_DIR'
      : 'the default, ./data in the working directory';
  return { where: `in the data directory ${config.dataDir} (${dirFrom})`, ...facts };
}
