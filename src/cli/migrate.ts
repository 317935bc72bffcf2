import { STORE_FLAGS_HELP, STORE_SETTINGS, withStore } from './apps.js';
import { UsageError } from './cli-context.js';
import type { Command } from './command.js';
import { MIGRATE_DEPLOY } from './migrate-deploy.js';
import { MIGRATE_DEV } from './migrate-dev.js';
import { MIGRATE_DIFF } from './migrate-diff.js';
import { MIGRATE_RESET } from './migrate-reset.js';
import { MIGRATE_STATUS } from './migrate-status.js';

const HELP = `tidings migrate [--data-dir DIR] [--database-url URL]
tidings migrate dev --name <name> [--create-only]
tidings migrate deploy | status | diff | reset [--force]

Without a subcommand: applies the committed migrations that the database lacks (serve does this on start
too). The subcommands are Prisma's \`migrate\` commands, run offline through its WebAssembly schema engine:
  dev --name <name>   after a schema change: write the next migration and apply it (--create-only: write it)
  deploy              apply the migrations of the folder that the database lacks, naming them
  status              compare the database's migrations with the folder's (exit code 1 if not the same)
  diff                print the SQL the schema needs beyond the migrations (exit code 2 if there is some)
  reset               drop every table, then apply all migrations (asks first; --force does not)
Run tidings migrate <subcommand> --help for each one.
${STORE_FLAGS_HELP}`;

/** `tidings migrate` and its subcommands, by the words that name them. */
export const MIGRATE_COMMANDS: Readonly<Record<string, Command>> = {
  migrate: {
    help: HELP,
    options: { settings: STORE_SETTINGS },
    async run(args, cli) {
      const [word] = args.positionals;
      if (word !== undefined) {
        throw new UsageError(
          `unknown migrate command ${JSON.stringify(word)} (see: tidings migrate --help).`,
        );
      }
      await withStore(args.settings, cli, async () => {});
      cli.stdout('The database is up to date.\n');
    },
  },
  'migrate dev': MIGRATE_DEV,
  'migrate deploy': MIGRATE_DEPLOY,
  'migrate status': MIGRATE_STATUS,
  'migrate diff': MIGRATE_DIFF,
  'migrate reset': MIGRATE_RESET,
};
