import { readMigrationFiles } from '../store/migrations/migration-files.js';
import { noPositionals } from './apps.js';
import type { Command } from './command.js';
import { applyPending, MIGRATE_FLAGS_HELP, MIGRATE_OPTIONS, migrateTarget, show } from './migrate-target.js';

const HELP = `tidings migrate deploy [--data-dir DIR] [--database-url URL]

Applies the migrations of the folder that the database lacks, each in its own transaction, and names
them, as \`prisma migrate deploy\` does (tidings migrate, and serve at start-up, apply the committed ones).
${MIGRATE_FLAGS_HELP}`;

export const MIGRATE_DEPLOY: Command = {
  help: HELP,
  options: MIGRATE_OPTIONS,
  async run(args, cli) {
    noPositionals(args, 'migrate deploy');
    const target = migrateTarget(args, cli);
    const found = readMigrationFiles(target.migrationsDir).length;
    cli.stdout(`${found} migration(s) found in ${show(target.migrationsDir)}\n`);
    if ((await applyPending(target, cli)).length === 0) cli.stdout('No pending migration to apply.\n');
  },
};
