import { decodeJwt } from 'jose';
import { NOTIFICATIONS_SCOPE } from '../auth/principal.js';
import { EXISTING_STORE_HELP, JSON_HELP, printJson, STORE_SETTINGS } from './apps.js';
import type { CommandOptions, ParsedArguments } from './arguments.js';
import { type CliContext, UsageError } from './cli-context.js';
import { gatewayIssuer } from './embedded-signer.js';
import { withExistingStore } from './existing-store.js';

export const TOKEN_HELP = `tidings token user <user id> --app <client id> [--delegated] [--ttl SECONDS] [--json] [--data-dir DIR] [--database-url URL]

Mints a user token for development, signed by the embedded issuer's key in DIR (made by the gateway on
its first start), as if <user id> had signed in to the client app <client id>, and prints it alone on a
line. Default lifetime 3600 s, at most 86400 s.
--delegated adds the scope ${NOTIFICATIONS_SCOPE}: the app service may then post to that user with
it (createNotification without a UNSID), as with a token it obtained on the user's behalf.
${JSON_HELP} Its fields: token, userId, clientId, scopes, expiresAt.
${EXISTING_STORE_HELP}`;

export const TOKEN_OPTIONS: CommandOptions = {
  values: ['app', 'ttl'],
  switches: ['delegated', 'json'],
  settings: STORE_SETTINGS,
};

export async function mintUserToken(args: ParsedArguments, cli: CliContext): Promise<void> {
  const [subject, ...extra] = args.positionals;
  if (!subject)
    throw new UsageError('token user needs a user id: tidings token user <user id> --app <client id>');
  if (extra.length > 0) throw new UsageError(`token user takes one user id, not ${args.positionals.length}.`);
  const appId = args.value('app');
  if (!appId) throw new UsageError('token user needs --app <client id> (see: tidings apps list).');
  const rawTtl = args.value('ttl') ?? '3600';
  const ttl = Number(rawTtl);
  if (!/^\d+$/.test(rawTtl) || ttl < 1 || ttl > 86_400)
    throw new UsageError(`--ttl must be 1 to 86400 seconds (got ${JSON.stringify(rawTtl)}).`);
  const { app, config } = await withExistingStore(args.settings, cli, async (store, config) => ({
    app: await store.findApp(appId),
    config,
  }));
  if (!app) throw new UsageError(`No app with client id ${appId} (see: tidings apps list).`);
  const issuer = await gatewayIssuer(config);
  const scopes = args.switched('delegated') ? [NOTIFICATIONS_SCOPE] : [];
  const token = await issuer.issueUserToken(subject, app.id, ttl, scopes);
  if (args.switched('json')) {
    const expiresAt = new Date((decodeJwt(token).exp ?? 0) * 1000).toISOString();
    return printJson(cli, { token, userId: subject, clientId: app.id, scopes, expiresAt });
  }
  cli.stdout(`${token}\n`);
}
