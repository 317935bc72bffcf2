import { noPositionals } from './apps.js';
import { UsageError } from './cli-context.js';
import type { Command } from './command.js';
import {
  MIGRATE_FLAGS_HELP,
  MIGRATE_OPTIONS,
  migrateTarget,
  migrationList,
  withEngine,
} from './migrate-target.js';

const HELP = `tidings migrate diff [--data-dir DIR] [--database-url URL]

For CI: prints on stdout the SQL the Prisma schema needs beyond the folder's migrations, with exit code 2
(a migration is missing: tidings migrate dev --name …), or nothing, with exit code 0. It never changes the
database: SQLite needs none, PostgreSQL builds the migrations' schema in a temporary database of the
server (so --database-url, or DATABASE_URL, must name a running one).
${MIGRATE_FLAGS_HELP}`;

export const MIGRATE_DIFF: Command = {
  help: HELP,
  options: MIGRATE_OPTIONS,
  async run(args, cli) {
    noPositionals(args, 'migrate diff');
    const target = migrateTarget(args, cli);
    const migrations = await migrationList(target);
    const sql = await withEngine(
      target,
      (engine) => engine.diffFromMigrations(migrations),
      target.provider === 'sqlite' ? ':memory:' : target.url,
    );
    if (sql === null) {
      cli.stderr('The schema matches the migrations.\n');
      return;
    }
    cli.stdout(sql);
    throw new UsageError(
      'the schema needs the SQL above beyond the migrations: write a migration with tidings migrate dev --name <change>.',
    );
  },
};
