import { parseArgs } from 'node:util';
import { ConfigError } from '../config.js';
import { isStoreUnavailable } from '../store/unavailable.js';
import { APPS_HELP, createApp, listApps, withStore } from './apps.js';
import { type CliContext, UsageError } from './cli-context.js';
import { SERVE_HELP, serve } from './serve.js';
import { mintUserToken, TOKEN_HELP } from './token.js';

const HELP = `Usage: tidings <command> [options]

Commands:
  serve                      start the gateway (default: SQLite in ./data, embedded issuer)
  migrate                    apply pending database migrations (serve does this on start too)
  apps create|list           register app services, list them
  token user <id> --app <id> mint a user token for development

Every command takes --data-dir DIR (default ./data, or TIDINGS_DATA_DIR) and --help.
`;

const MIGRATE_HELP = `tidings migrate [--data-dir DIR]

Applies the committed migrations that the database lacks. To create a new migration after changing
prisma/sqlite/schema.prisma: npm run migrate -- dev --name <change>.`;

/** Runs one CLI command; returns the process exit code. Errors a person can fix exit 2, others 1. */
export async function runCli(argv: readonly string[], cli: CliContext): Promise<number> {
  const { values, positionals } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    strict: false,
    options: {
      help: { type: 'boolean', short: 'h' },
      'data-dir': { type: 'string' },
      port: { type: 'string' },
      host: { type: 'string' },
      name: { type: 'string' },
      app: { type: 'string' },
      ttl: { type: 'string' },
      'client-id': { type: 'string' },
      delegated: { type: 'boolean' },
    },
  });
  const flag = (name: string): string | undefined => {
    const value = values[name];
    if (value === true) throw new UsageError(`--${name} needs a value.`);
    return value === undefined ? undefined : String(value);
  };
  const [command, sub, ...rest] = positionals;
  const helpFor = (text: string): boolean => {
    if (values.help) cli.stdout(`${text}\n`);
    return values.help === true;
  };
  try {
    const dataDir = flag('data-dir');
    const withDataDir = dataDir === undefined ? {} : { dataDir };
    switch (command) {
      case undefined:
      case 'help':
        cli.stdout(HELP);
        return command === undefined && !values.help ? 2 : 0;
      case 'serve': {
        if (helpFor(SERVE_HELP)) return 0;
        const port = flag('port');
        const host = flag('host');
        if (port !== undefined && !/^\d{1,5}$/.test(port))
          throw new UsageError('--port must be a number from 0 to 65535.');
        await serve(
          { ...withDataDir, ...(port ? { port: Number(port) } : {}), ...(host ? { host } : {}) },
          cli,
        );
        return 0;
      }
      case 'migrate':
        if (helpFor(MIGRATE_HELP)) return 0;
        await withStore(dataDir, cli, async () => {});
        cli.stdout('The database is up to date.\n');
        return 0;
      case 'apps': {
        if (helpFor(APPS_HELP)) return 0;
        const name = flag('name');
        const host = flag('host');
        const clientId = flag('client-id');
        if (sub === 'create')
          await createApp(
            {
              ...withDataDir,
              ...(host ? { host } : {}),
              ...(name ? { name } : {}),
              ...(clientId ? { clientId } : {}),
            },
            cli,
          );
        else if (sub === 'list') await listApps(withDataDir, cli);
        else throw new UsageError(`Unknown apps command ${JSON.stringify(sub ?? '')}.\n\n${APPS_HELP}`);
        return 0;
      }
      case 'token': {
        if (helpFor(TOKEN_HELP)) return 0;
        if (sub !== 'user') throw new UsageError(`Only user tokens are minted here.\n\n${TOKEN_HELP}`);
        const app = flag('app');
        const ttl = flag('ttl');
        const subject = rest[0];
        await mintUserToken(
          {
            ...withDataDir,
            ...(subject ? { subject } : {}),
            ...(app ? { app } : {}),
            ...(ttl ? { ttl } : {}),
            delegated: values.delegated === true,
          },
          cli,
        );
        return 0;
      }
      default:
        throw new UsageError(`Unknown command ${JSON.stringify(command)}.\n\n${HELP}`);
    }
  } catch (error) {
    if (error instanceof UsageError || error instanceof ConfigError) {
      cli.stderr(`tidings: ${error.message}\n`);
      return 2;
    }
    if (isStoreUnavailable(error)) {
      // Not the URL itself: it may hold a password.
      cli.stderr(
        `tidings: cannot reach the database (${error instanceof Error ? error.message : String(error)}). ` +
          'Check that it is running and that DATABASE_URL names it.\n',
      );
      return 1;
    }
    cli.stderr(`tidings: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    return 1;
  }
}
