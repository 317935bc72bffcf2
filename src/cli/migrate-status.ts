import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { sqliteFilePath } from '../store/migrations/schema-engine.js';
import { noPositionals } from './apps.js';
import type { CliContext } from './cli-context.js';
import { CommandFailure } from './cli-context.js';
import type { Command } from './command.js';
import {
  MIGRATE_FLAGS_HELP,
  MIGRATE_OPTIONS,
  migrateTarget,
  migrationList,
  show,
  withEngine,
} from './migrate-target.js';

const HELP = `tidings migrate status [--data-dir DIR] [--database-url URL]

Compares the migrations the database has with the folder's, as \`prisma migrate status\` does: exit code 0
when they are the same, 1 when some are not applied yet, failed, changed since they were applied, or
missing from the folder (each listed).
${MIGRATE_FLAGS_HELP}`;

/** Prints a titled list; whether there was anything to list. */
function listed(cli: CliContext, title: string, names: readonly string[]): boolean {
  if (names.length === 0) return false;
  cli.stdout(`${title}:\n${names.map((name) => `  ${name}\n`).join('')}`);
  return true;
}

export const MIGRATE_STATUS: Command = {
  help: HELP,
  options: MIGRATE_OPTIONS,
  async run(args, cli) {
    noPositionals(args, 'migrate status');
    const target = migrateTarget(args, cli);
    const migrations = await migrationList(target);
    const names = migrations.migrationDirectories.map((migration) => migration.path);
    cli.stdout(`${names.length} migration(s) found in ${show(target.migrationsDir)}\n`);
    const behind = new CommandFailure(`the database ${target.description} is not up to date (see above).`);
    // Not through the engine: opening the database would create the file.
    if (target.provider === 'sqlite' && !existsSync(resolve(sqliteFilePath(target.url)))) {
      cli.stdout(`The database ${target.description} does not exist yet.\n`);
      if (listed(cli, 'Not yet applied (run tidings migrate deploy)', names)) throw behind;
      return;
    }
    const { history, failedMigrationNames, editedMigrationNames } = await withEngine(target, (engine) =>
      engine.diagnoseMigrationHistory(migrations),
    );
    let problem =
      listed(cli, 'Failed (resolve by hand, or reset)', failedMigrationNames) ||
      listed(cli, 'Changed since they were applied (restore the files)', editedMigrationNames);
    if (history?.diagnostic === 'databaseIsBehind') {
      problem ||= listed(
        cli,
        'Not yet applied (run tidings migrate deploy)',
        history.unappliedMigrationNames,
      );
    } else if (history?.diagnostic === 'migrationsDirectoryIsBehind') {
      problem ||= listed(cli, 'Applied but missing from the folder', history.unpersistedMigrationNames);
    } else if (history?.diagnostic === 'historiesDiverge') {
      cli.stdout(`The histories diverge after ${history.lastCommonMigrationName ?? 'the start'}.\n`);
      listed(cli, 'Applied but missing from the folder', history.unpersistedMigrationNames);
      listed(cli, 'Not yet applied', history.unappliedMigrationNames);
      problem = true;
    }
    if (problem) throw behind;
    cli.stdout('The database is up to date.\n');
  },
};
