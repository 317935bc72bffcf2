import { ConfigError } from '../config/config.js';
import { parseArguments } from './arguments.js';
import { type CliContext, CommandFailure, UsageError } from './cli-context.js';
import type { Command } from './command.js';

const HELP = `Usage: tidings <command> [options]

Commands:
  serve                       start the gateway (default: SQLite in ./data, embedded issuer)
  migrate [dev|deploy|status|diff|reset]
                              apply pending database migrations (serve does this on start too);
                              write, check and reset them while developing
  apps create|list|rotate-secret
                              register app services, list them, replace an app's client secret
  token user <id> --app <id>  mint a user token for development
  keys list|stage|rotate      show and rotate the embedded issuer's signing key
  send --app <id> (--unsid <UNSID> | --user <id>) --title TEXT
                              post a notification through the running gateway
  watch --token TOKEN --unsid <UNSID>
                              follow a device's feed live, printing each change (resumable)

Run tidings <command> --help for a command's options. Exit codes: 0 done, 2 a mistake in the command
or the configuration, 1 any other failure.
`;

/**
 * Each command's module is loaded only when that command runs: `tidings --help` loads none, `apps list`
 * no gateway and no token signing, so a command starts with only what it needs.
 */
const COMMANDS: Readonly<Record<string, () => Promise<Command>>> = {
  serve: async () => {
    const { SERVE_HELP, SERVE_OPTIONS, serve } = await import('./serve.js');
    return { help: SERVE_HELP, options: SERVE_OPTIONS, run: serve };
  },
  ...Object.fromEntries(
    ['migrate', 'migrate dev', 'migrate deploy', 'migrate status', 'migrate diff', 'migrate reset'].map(
      (name) => [name, async () => (await import('./migrate.js')).MIGRATE_COMMANDS[name] as Command],
    ),
  ),
  'apps create': async () => {
    const { APPS_CREATE_HELP, APPS_CREATE_OPTIONS, createApp } = await import('./apps.js');
    return { help: APPS_CREATE_HELP, options: APPS_CREATE_OPTIONS, run: createApp };
  },
  'apps list': async () => {
    const { APPS_LIST_HELP, APPS_LIST_OPTIONS, listApps } = await import('./apps.js');
    return { help: APPS_LIST_HELP, options: APPS_LIST_OPTIONS, run: listApps };
  },
  'apps rotate-secret': async () => {
    const { APPS_ROTATE_HELP, APPS_ROTATE_OPTIONS, rotateSecret } = await import('./apps.js');
    return { help: APPS_ROTATE_HELP, options: APPS_ROTATE_OPTIONS, run: rotateSecret };
  },
  'token user': async () => {
    const { TOKEN_HELP, TOKEN_OPTIONS, mintUserToken } = await import('./token.js');
    return { help: TOKEN_HELP, options: TOKEN_OPTIONS, run: mintUserToken };
  },
  send: async () => {
    const { SEND_HELP, SEND_OPTIONS, sendNotification } = await import('./send.js');
    return { help: SEND_HELP, options: SEND_OPTIONS, run: sendNotification };
  },
  'keys list': async () => {
    const { KEYS_LIST_HELP, KEYS_OPTIONS, listKeys } = await import('./keys.js');
    return { help: KEYS_LIST_HELP, options: KEYS_OPTIONS, run: listKeys };
  },
  'keys stage': async () => {
    const { KEYS_STAGE_HELP, KEYS_OPTIONS, stageKey } = await import('./keys.js');
    return { help: KEYS_STAGE_HELP, options: KEYS_OPTIONS, run: stageKey };
  },
  'keys rotate': async () => {
    const { KEYS_ROTATE_HELP, KEYS_OPTIONS, rotateKey } = await import('./keys.js');
    return { help: KEYS_ROTATE_HELP, options: KEYS_OPTIONS, run: rotateKey };
  },
  watch: async () => {
    const { WATCH_HELP, WATCH_OPTIONS, watch } = await import('./watch.js');
    return { help: WATCH_HELP, options: WATCH_OPTIONS, run: watch };
  },
};

/** Commands with subcommands, and the help they print without one. */
const GROUPS: Readonly<Record<string, () => Promise<string>>> = {
  apps: async () => (await import('./apps.js')).APPS_HELP,
  token: async () => (await import('./token.js')).TOKEN_HELP,
  keys: async () => (await import('./keys.js')).KEYS_HELP,
};

/** Runs one CLI command; returns the process exit code: 0 done, 2 a mistake a person can fix, 1 others. */
export async function runCli(argv: readonly string[], cli: CliContext): Promise<number> {
  try {
    const [word, ...rest] = argv;
    if (word === undefined || word === 'help' || word === '--help' || word === '-h') {
      cli.stdout(HELP);
      // `tidings` alone is a mistake (nothing to do); asking for help is not.
      return word === undefined ? 2 : 0;
    }
    if (word.startsWith('-')) throw new UsageError('the command comes first: tidings <command> [options].');
    const [sub, ...subRest] = rest;
    const subcommand = sub === undefined ? undefined : COMMANDS[`${word} ${sub}`];
    if (subcommand) return await runCommand(`${word} ${sub}`, await subcommand(), subRest, cli);
    const groupHelp = GROUPS[word];
    if (groupHelp !== undefined) {
      const group = await groupHelp();
      if (sub === undefined) {
        cli.stdout(`${group}\n`);
        return 2;
      }
      if (sub === '--help' || sub === '-h') {
        cli.stdout(`${group}\n`);
        return 0;
      }
      if (sub.startsWith('-')) {
        throw new UsageError(`the ${word} command comes first: tidings ${word} <command> [options].`);
      }
      throw new UsageError(`unknown ${word} command ${JSON.stringify(sub)} (see: tidings ${word} --help).`);
    }
    const command = COMMANDS[word];
    if (!command) throw new UsageError(`unknown command ${JSON.stringify(word)} (see: tidings --help).`);
    return await runCommand(word, await command(), rest, cli);
  } catch (error) {
    return await report(error, cli);
  }
}

async function runCommand(name: string, command: Command, argv: readonly string[], cli: CliContext) {
  const args = parseArguments(argv, name, command.options);
  if (args.help) {
    cli.stdout(`${command.help}\n`);
    return 0;
  }
  await command.run(args, cli);
  return 0;
}

async function report(error: unknown, cli: CliContext): Promise<number> {
  if (error instanceof ConfigError) {
    for (const problem of error.problems) cli.stderr(`tidings: ${problem}\n`);
    return 2;
  }
  if (error instanceof UsageError) {
    cli.stderr(`tidings: ${error.message}\n`);
    return 2;
  }
  if (error instanceof CommandFailure) {
    cli.stderr(`tidings: ${error.message}\n`);
    return 1;
  }
  // Loaded here: it brings the error codes, and so graphql, which --help does without.
  const { isStoreUnavailable } = await import('../store/unavailable.js');
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
