import { ErrorCode, GatewayError } from '../errors.js';
import type { Store } from '../store/types.js';
import { bearerToken } from './embedded-issuer.js';
import type { Principal } from './principal.js';
import type { TokenVerifier } from './token-verifier.js';

/** The principal behind a bearer credential (an `Authorization` header, or graphql-ws's connectionParams). */
export type Authenticate = (authorization: unknown) => Promise<Principal>;

export interface AuthenticatorOptions {
  /** Verifies a token with whichever accepted issuer it names. */
  readonly verifyToken: TokenVerifier;
  /** Where apps are registered. */
  readonly store: Pick<Store, 'findApp'>;
  /** The embedded issuer's `iss`: the issuer of apps registered with a client secret here. */
  readonly embeddedIssuer: string;
}

/**
 * Authenticates a request: a verified bearer token, and for an app token, an app registered with the
 * issuer that signed it. Client ids are not secret, and another issuer could mint a token naming one.
 * @throws GatewayError UNAUTHENTICATED for a missing or bad token, or an app token of an app that is not
 *   registered with its issuer; SERVICE_UNAVAILABLE when the token or the app cannot be checked now.
 */
export function createAuthenticator(options: AuthenticatorOptions): Authenticate {
  return async (authorization) => {
    const principal = await options.verifyToken(bearerToken(authorization));
    if (principal.kind === 'app') {
      const app = await options.store.findApp(principal.appId);
      if (!app || (app.tokenIssuer ?? options.embeddedIssuer) !== principal.issuer) {
        throw new GatewayError(
          ErrorCode.Unauthenticated,
          'The access token is not usable here: its app is not registered with its issuer.',
        );
      }
    }
    return principal;
  };
}
