import type { App } from '../domain/types.js';
import { ErrorCode, GatewayError, notFound } from '../errors.js';
import type { StoreWithoutFeedWrites } from '../store/types.js';
import { hashClientSecret, newClientId, newClientSecret } from './client-credentials.js';

// A DNS host name: labels of letters, digits and hyphens, not starting or ending with a hyphen.
const HOST_NAME =
  /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/;

// Client ids as issuers make them: Entra ID's GUIDs, Auth0's and Keycloak's names.
const CLIENT_ID = /^[A-Za-z0-9._:@-]{1,200}$/;

interface AppNames {
  readonly targetHostName: string;
  readonly displayName?: string;
}

/**
 * Registers an app service that gets its tokens here (client credentials). Returns the client secret,
 * which exists only in this return value: the store keeps its hash.
 * @throws GatewayError BAD_USER_INPUT for a malformed host name; CONFLICT when it is taken.
 */
export async function registerApp(
  store: StoreWithoutFeedWrites,
  input: AppNames,
): Promise<{ app: App; clientSecret: string }> {
  const clientSecret = newClientSecret();
  const app = await store.createApp({
    ...names(input),
    id: newClientId(),
    tokenIssuer: null,
    secretHash: hashClientSecret(clientSecret),
  });
  return { app, clientSecret };
}

/**
 * Registers an app service whose tokens come from an external issuer, under its client id there (the
 * app claim of its tokens). Only that issuer's app tokens act for it; it has no secret here.
 * @throws GatewayError BAD_USER_INPUT for a malformed host name or client id; CONFLICT when taken.
 */
export async function registerExternalApp(
  store: StoreWithoutFeedWrites,
  input: AppNames & { readonly clientId: string; readonly issuer: string },
): Promise<App> {
  if (!CLIENT_ID.test(input.clientId)) {
    throw new GatewayError(
      ErrorCode.BadUserInput,
      'The client id must be 1 to 200 letters, digits and . _ - : @ characters.',
      { details: { field: 'clientId' } },
    );
  }
  return store.createApp({
    ...names(input),
    id: input.clientId,
    tokenIssuer: input.issuer,
    // Never checked (the token endpoint refuses external apps); random so that it matches nothing.
    secretHash: hashClientSecret(newClientSecret()),
  });
}

/**
 * Gives an app of the embedded issuer a new client secret; the old one stops working at once (the token
 * endpoint reads the secret uncached). App tokens issued before stay valid until they expire.
 * @throws GatewayError NOT_FOUND for an unknown client id; BAD_USER_INPUT for an app of an external
 *   issuer, whose credentials that issuer keeps.
 */
export async function rotateAppSecret(
  store: StoreWithoutFeedWrites,
  clientId: string,
): Promise<{ app: App; clientSecret: string }> {
  const found = await store.findApp(clientId, { fresh: true });
  if (!found) throw notFound('App');
  if (found.tokenIssuer !== null) {
    throw new GatewayError(
      ErrorCode.BadUserInput,
      `The app ${clientId} gets its tokens from ${found.tokenIssuer}: rotate its secret there.`,
      { details: { field: 'clientId' } },
    );
  }
  const clientSecret = newClientSecret();
  // Removed between the two steps: reported as unknown, like any app that does not exist.
  if (!(await store.setAppSecretHash(clientId, hashClientSecret(clientSecret)))) throw notFound('App');
  const { secretHash: _, ...app } = found;
  return { app, clientSecret };
}

function names(input: AppNames): { targetHostName: string; displayName: string } {
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
  return { targetHostName: host, displayName: input.displayName?.trim() || host };
}
