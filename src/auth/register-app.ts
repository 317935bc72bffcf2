import { ErrorCode, GatewayError } from '../errors.js';
import type { App, Store } from '../store/types.js';
import { hashClientSecret, newClientId, newClientSecret } from './client-credentials.js';

// A DNS host name: labels of letters, digits and hyphens, not starting or ending with a hyphen.
const HOST_NAME =
  /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/;

/**
 * Registers an app service. Returns the client secret, which exists only in this return value: the
 * store keeps its hash.
 * @throws GatewayError BAD_USER_INPUT for a malformed host name; CONFLICT when it is taken.
 */
export async function registerApp(
  store: Store,
  input: { readonly targetHostName: string; readonly displayName?: string },
): Promise<{ app: App; clientSecret: string }> {
  const host = input.targetHostName.trim().toLowerCase();
  if (!HOST_NAME.test(host)) {
    throw new GatewayError(
      ErrorCode.BadUserInput,
      'targetHostName must be a host name such as app.example.com.',
      {
        details: { field: 'targetHostName' },
      },
    );
  }
  const clientSecret = newClientSecret();
  const app = await store.createApp({
    id: newClientId(),
    targetHostName: host,
    displayName: input.displayName?.trim() || host,
    secretHash: hashClientSecret(clientSecret),
  });
  return { app, clientSecret };
}
