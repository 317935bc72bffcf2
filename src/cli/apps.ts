import { registerApp, registerExternalApp } from '../auth/register-app.js';
import { loadConfig } from '../config.js';
import { GatewayError } from '../errors.js';
import { createStore } from '../store/create-store.js';
import type { Store } from '../store/types.js';
import { type CliContext, UsageError } from './cli-context.js';

export const APPS_HELP = `tidings apps create --host <targetHostName> [--name <display name>] [--client-id ID] [--data-dir DIR]
tidings apps list [--data-dir DIR]

create registers an app service and prints its client id and secret. The secret is shown only
this once (only a hash is kept): store it in your app service's configuration.
--client-id registers the app under its client id at an external issuer (TIDINGS_EXTERNAL_ISSUER),
so that the issuer's tokens for it (app claim, default azp) are accepted.`;

export async function withStore<T>(
  dataDir: string | undefined,
  cli: CliContext,
  work: (store: Store) => Promise<T>,
) {
  const config = loadConfig(cli.env, dataDir === undefined ? {} : { dataDir });
  const store = await createStore(config);
  try {
    return await work(store);
  } finally {
    await store.close();
  }
}

export async function createApp(
  options: { host?: string; name?: string; clientId?: string; dataDir?: string },
  cli: CliContext,
) {
  if (!options.host)
    throw new UsageError('apps create needs --host <targetHostName>, e.g. --host app.example.com.');
  const names = { targetHostName: options.host, ...(options.name ? { displayName: options.name } : {}) };
  const external = loadConfig(cli.env, options.dataDir === undefined ? {} : { dataDir: options.dataDir }).auth
    .external;
  const { clientId } = options;
  if (clientId !== undefined && !external) {
    throw new UsageError('--client-id is for apps of an external issuer: set TIDINGS_EXTERNAL_ISSUER first.');
  }
  try {
    if (clientId !== undefined && external) {
      const app = await withStore(options.dataDir, cli, (store) =>
        registerExternalApp(store, { ...names, clientId, issuer: external.issuer }),
      );
      cli.stdout(`Registered ${app.displayName} (${app.targetHostName}).
client id: ${app.id}
Its app tokens come from ${external.issuer}; only that issuer's tokens act for it.
`);
      return;
    }
    const { app, clientSecret } = await withStore(options.dataDir, cli, (store) => registerApp(store, names));
    cli.stdout(`Registered ${app.displayName} (${app.targetHostName}).
client id:     ${app.id}
client secret: ${clientSecret}
The secret is shown only now; keep it in your app service's configuration.
`);
  } catch (error) {
    if (error instanceof GatewayError) throw new UsageError(error.message);
    throw error;
  }
}

export async function listApps(options: { dataDir?: string }, cli: CliContext) {
  const apps = await withStore(options.dataDir, cli, (store) => store.listApps());
  if (apps.length === 0) {
    cli.stdout('No apps registered. Register one with: tidings apps create --host <targetHostName>\n');
    return;
  }
  for (const app of apps) {
    cli.stdout(`${app.id}  ${app.targetHostName}  ${app.displayName}  ${app.createdAt.toISOString()}\n`);
  }
}
