import { ErrorCode, GatewayError } from '../errors.js';
import type { App, Store } from '../store/types.js';
import { hashClientSecret, newClientId, newClientSecret } from './client-credentials.js';

// A DNS host name: labels of letters, digits and hyphens, not starting or ending with a hyphen.
const HOST_NAME =
  /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/;

// Client ids as issuers make them: Entra ID's GUIDs, Auth0's and Keycloak's names.
const CLIENT_ID = /^[A-Za-z0-9._:@-]{1,200}$/;

/**
 * Registers an app service. Returns the client secret, which exists only in this return value: the
 * store keeps its hash.
 * @throws GatewayError BAD_USER_INPUT for a malformed host name; CONFLICT when it is taken.
 */
export async function registerApp(
  store: Store,
  input: {
    readonly targetHostName: string;
    readonly displayName?: string;
    /** The app's client id at an external issuer (its tokens' app claim); default: a new random one. */
    readonly clientId?: string;
  },
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
  if (input.clientId !== undefined && !CLIENT_ID.test(input.clientId)) {
    throw new GatewayError(
      ErrorCode.BadUserInput,
      'clientId must be 1 to 200 letters, digits and . _ - : @ characters.',
      { details: { field: 'clientId' } },
    );
  }
  const clientSecret = newClientSecret();
  const app = await store.createApp({
    id: input.clientId ?? newClientId(),
    targetHostName: host,
    displayName: input.displayName?.trim() || host,
    secretHash: hashClientSecret(clientSecret),
  });
  return { app, clientSecret };
}
