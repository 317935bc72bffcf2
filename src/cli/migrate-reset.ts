import { resetDatabase } from '../store/migrations/schema-engine.js';
import { noPositionals } from './apps.js';
import { CommandFailure, UsageError } from './cli-context.js';
import type { Command } from './command.js';
import {
  applyPending,
  MIGRATE_FLAGS_HELP,
  MIGRATE_OPTIONS,
  migrateTarget,
  prepareDatabaseFile,
} from './migrate-target.js';

const HELP = `tidings migrate reset [--force] [--data-dir DIR] [--database-url URL]

Drops every table of the database, with all its data, then applies all the migrations: for development
databases. SQLite: drops the tables; PostgreSQL: drops the URL's schema and creates it again.
It asks first on a terminal; --force skips the question (needed where there is no terminal).
${MIGRATE_FLAGS_HELP}`;

export const MIGRATE_RESET: Command = {
  help: HELP,
  options: { ...MIGRATE_OPTIONS, switches: ['force'] },
  async run(args, cli) {
    noPositionals(args, 'migrate reset');
    const target = migrateTarget(args, cli);
    if (!args.switched('force')) {
      if (!cli.confirm) throw new UsageError('migrate reset drops all data: pass --force to confirm it.');
      if (!(await cli.confirm(`Drop every table of ${target.description}, with all its data?`))) {
        throw new CommandFailure('reset cancelled.');
      }
    }
    prepareDatabaseFile(target);
    await resetDatabase(target.provider, target.url);
    cli.stdout(`Dropped every table of ${target.description}.\n`);
    await applyPending(target, cli);
  },
};
