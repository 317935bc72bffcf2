import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  type CreateMigrationOutput,
  LOCKFILE_NAME,
  lockfileContent,
} from '../store/migrations/schema-engine.js';
import { noPositionals } from './apps.js';
import type { ParsedArguments } from './arguments.js';
import { type CliContext, CommandFailure, UsageError } from './cli-context.js';
import type { Command } from './command.js';
import {
  applyPending,
  MIGRATE_FLAGS_HELP,
  MIGRATE_OPTIONS,
  migrateTarget,
  migrationList,
  prepareDatabaseFile,
  show,
  withEngine,
} from './migrate-target.js';

const HELP = `tidings migrate dev --name <name> [--create-only] [--data-dir DIR] [--database-url URL]

After a change to the Prisma schema: applies the pending migrations to the database, writes the next
migration (prisma/<provider>/migrations/<timestamp>_<name>/migration.sql) for what the schema needs beyond
them, and applies it, as \`prisma migrate dev\` does. Offline: it runs Prisma's WebAssembly schema engine.
--create-only writes the migration without applying it, to review or edit it first (then: tidings migrate
deploy); a change that may lose data is only written this way.
Stops when the database has drifted from the migrations (tidings migrate reset starts it afresh).
PostgreSQL: needs a running server, where it creates and drops a temporary database.
${MIGRATE_FLAGS_HELP}`;

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
    throw new UsageError(
      `--name ${JSON.stringify(name)} has no letter or digit to name the migration after.`,
    );
  }
  return slug;
}

/**
 * Like `prisma migrate dev`: stops on drift, applies the pending migrations, then creates the next one and,
 * unless --create-only, applies it too.
 */
async function dev(args: ParsedArguments, cli: CliContext): Promise<void> {
  noPositionals(args, 'migrate dev');
  const name = args.value('name');
  if (name === undefined)
    throw new UsageError('migrate dev needs --name <name>, e.g. --name add_feed_title.');
  const slug = migrationSlug(name);
  const createOnly = args.switched('create-only');
  const target = migrateTarget(args, cli);
  prepareDatabaseFile(target);
  const migrations = await migrationList(target);
  const folder = await withEngine(target, async (engine) => {
    const action = await engine.devDiagnostic(migrations);
    if (action.tag === 'reset') {
      throw new CommandFailure(
        `the database cannot follow the migrations: ${action.reason.trim()} Run tidings migrate reset (it drops all data), then try again.`,
      );
    }
    // The engine caches the schema of the migrations the database has. It can only diff from the whole
    // history once the database has all of it, and rebuilds nothing by itself: diagnose again.
    if ((await applyPending(target, cli)).length > 0) await engine.devDiagnostic(migrations);
    const { warnings, unexecutableSteps } = await engine.evaluateDataLoss(migrations);
    for (const { message } of [...unexecutableSteps, ...warnings]) cli.stderr(`Warning: ${message}\n`);
    if (!createOnly && warnings.length + unexecutableSteps.length > 0) {
      throw new UsageError(
        'no migration created: the change may lose data (see the warnings). Run again with --create-only, review the SQL, then apply it with tidings migrate deploy.',
      );
    }
    const output = await engine.createMigration(migrations, slug, createOnly);
    if (output.migrationScript === null) return null;
    return writeMigration(target.migrationsDir, output, output.migrationScript);
  });
  if (folder === null) {
    cli.stdout('Already in sync: the schema needs no migration.\n');
    return;
  }
  if (createOnly) {
    cli.stdout(
      `Created ${show(folder)}/migration.sql (not applied). Review it, then run tidings migrate deploy.\n`,
    );
    return;
  }
  cli.stdout(`Created ${show(folder)}/migration.sql\n`);
  await applyPending(target, cli);
}

/** Writes the migration and the lockfile the way Prisma's CLI does. */
async function writeMigration(
  directory: string,
  output: CreateMigrationOutput,
  script: string,
): Promise<string> {
  const folder = join(directory, output.generatedMigrationName);
  if (existsSync(folder)) throw new CommandFailure(`the migration folder ${show(folder)} exists already.`);
  await mkdir(folder, { recursive: true });
  await writeFile(join(folder, `migration.${output.extension}`), script, 'utf8');
  await writeFile(join(directory, LOCKFILE_NAME), lockfileContent(output.connectorType), 'utf8');
  return folder;
}

export const MIGRATE_DEV: Command = {
  help: HELP,
  options: {
    ...MIGRATE_OPTIONS,
    values: ['name', ...(MIGRATE_OPTIONS.values ?? [])],
    switches: ['create-only'],
  },
  run: dev,
};
