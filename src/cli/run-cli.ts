import { ConfigError } from '../config/config.js';
import { isStoreUnavailable } from '../store/unavailable.js';
import {
  APPS_CREATE_HELP,
  APPS_CREATE_OPTIONS,
  APPS_HELP,
  APPS_LIST_HELP,
  APPS_LIST_OPTIONS,
  APPS_ROTATE_HELP,
  APPS_ROTATE_OPTIONS,
  createApp,
  listApps,
  rotateSecret,
} from './apps.js';
import { parseArguments } from './arguments.js';
import { type CliContext, CommandFailure, UsageError } from './cli-context.js';
import type { Command } from './command.js';
import {
  KEYS_HELP,
  KEYS_LIST_HELP,
  KEYS_OPTIONS,
  KEYS_ROTATE_HELP,
  KEYS_STAGE_HELP,
  listKeys,
  rotateKey,
  stageKey,
} from './keys.js';
import { MIGRATE_COMMANDS } from './migrate.js';
import { SEND_HELP, SEND_OPTIONS, sendNotification } from './send.js';
import { SERVE_HELP, SERVE_OPTIONS, serve } from './serve.js';
import { mintUserToken, TOKEN_HELP, TOKEN_OPTIONS } from './token.js';
import { WATCH_HELP, WATCH_OPTIONS, watch } from './watch.js';

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
  send --app <id> --unsid <UNSID> --title TEXT
                              post a notification through the running gateway
  watch --token TOKEN --unsid <UNSID>
                              follow a device's feed live, printing each change (resumable)

Run tidings <command> --help for a command's options. Exit codes: 0 done, 2 a mistake in the command
or the configuration, 1 any other failure.
`;

const COMMANDS: Readonly<Record<string, Command>> = {
  serve: { help: SERVE_HELP, options: SERVE_OPTIONS, run: serve },
  ...MIGRATE_COMMANDS,
  'apps create': { help: APPS_CREATE_HELP, options: APPS_CREATE_OPTIONS, run: createApp },
  'apps list': { help: APPS_LIST_HELP, options: APPS_LIST_OPTIONS, run: listApps },
  'apps rotate-secret': { help: APPS_ROTATE_HELP, options: APPS_ROTATE_OPTIONS, run: rotateSecret },
  'token user': { help: TOKEN_HELP, options: TOKEN_OPTIONS, run: mintUserToken },
  send: { help: SEND_HELP, options: SEND_OPTIONS, run: sendNotification },
  'keys list': { help: KEYS_LIST_HELP, options: KEYS_OPTIONS, run: listKeys },
  'keys stage': { help: KEYS_STAGE_HELP, options: KEYS_OPTIONS, run: stageKey },
  'keys rotate': { help: KEYS_ROTATE_HELP, options: KEYS_OPTIONS, run: rotateKey },
  watch: { help: WATCH_HELP, options: WATCH_OPTIONS, run: watch },
};

/** Commands with subcommands, and the help they print without one. */
const GROUPS: Readonly<Record<string, string>> = { apps: APPS_HELP, token: TOKEN_HELP, keys: KEYS_HELP };

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
    if (subcommand) return await runCommand(`${word} ${sub}`, subcommand, subRest, cli);
    const group = GROUPS[word];
    if (group !== undefined) {
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
    return await runCommand(word, command, rest, cli);
  } catch (error) {
    return report(error, cli);
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

function report(error: unknown, cli: CliContext): number {
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
