import { registerApp, registerExternalApp, rotateAppSecret } from '../auth/register-app.js';
import { type Config, loadConfig, type SettingFlags } from '../config/config.js';
import { SETTINGS } from '../config/settings.js';
import type { App } from '../domain/types.js';
import { ErrorCode, GatewayError } from '../errors.js';
import { createStore } from '../store/create-store.js';
import type { Store } from '../store/types.js';
import type { CommandOptions, ParsedArguments } from './arguments.js';
import { type CliContext, UsageError } from './cli-context.js';
import { withExistingStore } from './existing-store.js';

/** Where the commands that open the store find it; the rest of the configuration comes from the environment. */
export const STORE_SETTINGS = [SETTINGS.dataDir, SETTINGS.databaseUrl] as const;
/** Ends each help of a command that opens the store, after a blank line. */
export const STORE_FLAGS_HELP = `
--data-dir DIR (default ./data, or TIDINGS_DATA_DIR) and --database-url URL (default
file:DIR/tidings.db, or DATABASE_URL) say where the store is.`;
/** The same, for commands that need the gateway's store to exist already (all but serve and migrate). */
export const EXISTING_STORE_HELP = `${STORE_FLAGS_HELP} The store must exist (the gateway
creates it on its first start, or tidings migrate does): this command never creates one, and exits with
code 2 naming where it looked.`;
/** Says what --json prints; ends the help of the commands whose output scripts read. */
export const JSON_HELP = '--json prints one JSON document, on one line, on stdout instead of text.';

export const APPS_CREATE_HELP = `tidings apps create --host <targetHostName> [--name <display name>] [--client-id ID] [--json] [--data-dir DIR] [--database-url URL]

Registers an app service and prints its client id and secret. The secret is shown only this once (only a
hash is kept): store it in your app service's configuration.
--client-id registers the app under its client id at an external issuer (TIDINGS_EXTERNAL_ISSUER), so
that the issuer's tokens for it (app claim, default azp) are accepted; such an app has no secret here.
${JSON_HELP} Its fields: clientId, clientSecret (null for an app of an external issuer),
targetHostName, displayName, tokenIssuer (null: the embedded issuer), createdAt.
${EXISTING_STORE_HELP}`;

export const APPS_LIST_HELP = `tidings apps list [--json] [--data-dir DIR] [--database-url URL]

Lists the registered apps: client id, target host name, display name, when registered, token issuer.
${JSON_HELP} An array of apps, each with clientId, targetHostName, displayName, tokenIssuer
(null: the embedded issuer) and createdAt.
${EXISTING_STORE_HELP}`;

export const APPS_ROTATE_HELP = `tidings apps rotate-secret <client id> [--json] [--data-dir DIR] [--database-url URL]

Gives an app a new client secret and prints it, once. The old secret stops working at once, on every
gateway process; app tokens already issued with it stay valid until they expire (TIDINGS_APP_TOKEN_TTL).
Apps of an external issuer have no secret here: rotate it at that issuer.
${JSON_HELP} Its fields are those of apps create.
${EXISTING_STORE_HELP}`;

export const APPS_HELP = `tidings apps create --host <targetHostName> [--name <display name>] [--client-id ID] [--json]
tidings apps list [--json]
tidings apps rotate-secret <client id> [--json]

Registers app services, lists them, and replaces an app's client secret.
Run tidings apps <create|list|rotate-secret> --help for each one.
${EXISTING_STORE_HELP}`;

export const APPS_CREATE_OPTIONS: CommandOptions = {
  values: ['host', 'name', 'client-id'],
  switches: ['json'],
  settings: STORE_SETTINGS,
};
export const APPS_LIST_OPTIONS: CommandOptions = { switches: ['json'], settings: STORE_SETTINGS };
export const APPS_ROTATE_OPTIONS: CommandOptions = { switches: ['json'], settings: STORE_SETTINGS };

/** An app as --json prints it; `clientSecret` only where one was just made. */
function appJson(app: App, clientSecret?: string | null) {
  return {
    clientId: app.id,
    ...(clientSecret === undefined ? {} : { clientSecret }),
    targetHostName: app.targetHostName,
    displayName: app.displayName,
    tokenIssuer: app.tokenIssuer,
    createdAt: app.createdAt.toISOString(),
  };
}

/** One JSON document and a newline on stdout. */
export function printJson(cli: CliContext, value: unknown): void {
  cli.stdout(`${JSON.stringify(value)}\n`);
}

/**
 * Runs `work` on the store the configuration names, creating and migrating it if need be, and closes it:
 * for `migrate`; every other command uses withExistingStore, which never creates one.
 */
export async function withStore<T>(
  flags: SettingFlags,
  cli: CliContext,
  work: (store: Store, config: Config) => Promise<T>,
): Promise<T> {
  const config = loadConfig(cli.env, {}, flags);
  const store = await createStore(config);
  try {
    return await work(store, config);
  } finally {
    await store.close();
  }
}

/** Store errors a person can fix (a taken host name, a malformed one) are usage errors: exit code 2. */
async function asUsage<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof GatewayError && error.code !== ErrorCode.ServiceUnavailable) {
      throw new UsageError(error.message);
    }
    throw error;
  }
}

export async function createApp(args: ParsedArguments, cli: CliContext): Promise<void> {
  noPositionals(args, 'apps create');
  const host = args.value('host');
  if (!host) throw new UsageError('apps create needs --host <targetHostName>, e.g. --host app.example.com.');
  const name = args.value('name');
  const names = { targetHostName: host, ...(name ? { displayName: name } : {}) };
  const external = loadConfig(cli.env, {}, args.settings).auth.external;
  const clientId = args.value('client-id');
  if (clientId !== undefined && !external) {
    throw new UsageError('--client-id is for apps of an external issuer: set TIDINGS_EXTERNAL_ISSUER first.');
  }
  if (clientId !== undefined && external) {
    const app = await asUsage(() =>
      withExistingStore(args.settings, cli, (store) =>
        registerExternalApp(store, { ...names, clientId, issuer: external.issuer }),
      ),
    );
    if (args.switched('json')) return printJson(cli, appJson(app, null));
    cli.stdout(`Registered ${app.displayName} (${app.targetHostName}).
client id: ${app.id}
Its app tokens come from ${external.issuer}; only that issuer's tokens act for it.
`);
    return;
  }
  const { app, clientSecret } = await asUsage(() =>
    withExistingStore(args.settings, cli, (store) => registerApp(store, names)),
  );
  if (args.switched('json')) return printJson(cli, appJson(app, clientSecret));
  cli.stdout(`Registered ${app.displayName} (${app.targetHostName}).
client id:     ${app.id}
client secret: ${clientSecret}
The secret is shown only now; keep it in your app service's configuration.
`);
}

export async function listApps(args: ParsedArguments, cli: CliContext): Promise<void> {
  noPositionals(args, 'apps list');
  const apps = await withExistingStore(args.settings, cli, (store) => store.listApps());
  if (args.switched('json'))
    return printJson(
      cli,
      apps.map((app) => appJson(app)),
    );
  if (apps.length === 0) {
    cli.stdout('No apps registered. Register one with: tidings apps create --host <targetHostName>\n');
    return;
  }
  const rows = [
    ['CLIENT ID', 'TARGET HOST', 'NAME', 'REGISTERED', 'TOKENS FROM'],
    ...apps.map((app) => [
      app.id,
      app.targetHostName,
      app.displayName,
      app.createdAt.toISOString(),
      app.tokenIssuer ?? 'embedded issuer',
    ]),
  ];
  cli.stdout(columns(rows));
}

/** Rows as left-aligned columns two spaces apart (the last one not padded). */
function columns(rows: readonly (readonly string[])[]): string {
  const widths = rows[0]?.map((_, column) => Math.max(...rows.map((row) => row[column]?.length ?? 0))) ?? [];
  return rows
    .map((row) =>
      row.map((cell, column) => (column < row.length - 1 ? cell.padEnd(widths[column] ?? 0) : cell)),
    )
    .map((row) => `${row.join('  ')}\n`)
    .join('');
}

export async function rotateSecret(args: ParsedArguments, cli: CliContext): Promise<void> {
  const [clientId, ...extra] = args.positionals;
  if (!clientId) throw new UsageError('apps rotate-secret needs a client id (see: tidings apps list).');
  if (extra.length > 0)
    throw new UsageError(`apps rotate-secret takes one client id, not ${args.positionals.length}.`);
  const rotated = await asUsage(() =>
    withExistingStore(args.settings, cli, async (store) => {
      try {
        return await rotateAppSecret(store, clientId);
      } catch (error) {
        if (error instanceof GatewayError && error.code === ErrorCode.NotFound) {
          throw new UsageError(`No app with client id ${clientId} (see: tidings apps list).`);
        }
        throw error;
      }
    }),
  );
  if (args.switched('json')) return printJson(cli, appJson(rotated.app, rotated.clientSecret));
  cli.stdout(`New secret for ${rotated.app.displayName} (${rotated.app.targetHostName}).
client id:     ${rotated.app.id}
client secret: ${rotated.clientSecret}
The old secret no longer works. The new one is shown only now; put it in your app service's configuration.
`);
}

/** Refuses stray words, such as a value given without its flag. */
export function noPositionals(args: ParsedArguments, command: string): void {
  if (args.positionals.length > 0) {
    throw new UsageError(
      `${command} takes no ${JSON.stringify(args.positionals[0])} (see: tidings ${command} --help).`,
    );
  }
}
