import { createEmbeddedIssuer } from '../auth/embedded-issuer.js';
import { NOTIFICATIONS_SCOPE } from '../auth/principal.js';
import { loadOrCreateSigningKey } from '../auth/signing-key.js';
import { loadConfig } from '../config.js';
import { withStore } from './apps.js';
import { type CliContext, UsageError } from './cli-context.js';

export const TOKEN_HELP = `tidings token user <user id> --app <client id> [--delegated] [--ttl SECONDS] [--data-dir DIR]

Mints a user token for development, signed by the embedded issuer in DIR, as if <user id> had signed
in to the client app <client id>. Default lifetime 3600 s, at most 86400 s.
--delegated adds the scope ${NOTIFICATIONS_SCOPE}: the app service may then post to that user with
it (createNotification without a UNSID), as with a token it obtained on the user's behalf.`;

export async function mintUserToken(
  options: { subject?: string; app?: string; ttl?: string; delegated?: boolean; dataDir?: string },
  cli: CliContext,
) {
  if (!options.subject)
    throw new UsageError('token user needs a user id: tidings token user <user id> --app <client id>');
  if (!options.app) throw new UsageError('token user needs --app <client id> (see: tidings apps list).');
  const ttl = Number(options.ttl ?? 3600);
  if (!Number.isInteger(ttl) || ttl < 1 || ttl > 86_400)
    throw new UsageError('--ttl must be 1 to 86400 seconds.');
  const config = loadConfig(cli.env, options.dataDir === undefined ? {} : { dataDir: options.dataDir });
  const app = await withStore(options.dataDir, cli, (store) => store.findApp(options.app ?? ''));
  if (!app) throw new UsageError(`No app with client id ${options.app} (see: tidings apps list).`);
  const issuer = createEmbeddedIssuer({
    key: await loadOrCreateSigningKey(config.dataDir),
    issuer: config.auth.issuer,
    audience: config.auth.audience,
  });
  const scopes = options.delegated ? [NOTIFICATIONS_SCOPE] : [];
  cli.stdout(`${await issuer.issueUserToken(options.subject, app.id, ttl, scopes)}\n`);
}
