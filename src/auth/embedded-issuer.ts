import { randomUUID } from 'node:crypto';
import { createLocalJWKSet, type JSONWebKeySet, type JWK, type JWTPayload, SignJWT } from 'jose';
import type { ClaimNames } from '../config/config.js';
import { ErrorCode, GatewayError } from '../errors.js';
import { NOTIFICATIONS_SCOPE } from './principal.js';
import { SIGNING_ALGORITHM, type SigningKey } from './signing-key.js';
import { createTokenVerifier, type TokenVerifier } from './token-verifier.js';

/**
 * How the embedded issuer's tokens name things: `sub` the user, `azp` (and RFC 9068's `client_id`) the
 * app, `scope` the scopes, and Entra ID's `idtyp` claim tells app tokens from user tokens.
 */
const EMBEDDED_CLAIMS: ClaimNames = {
  user: 'sub',
  app: 'azp',
  scopes: ['scope'],
  tokenType: 'idtyp',
  appTokenType: 'app',
};

export interface EmbeddedIssuer {
  readonly issuer: string;
  readonly jwks: JSONWebKeySet;
  /** Signs an app token (client credentials grant) carrying the notifications scope. */
  issueAppToken(appId: string, ttlSeconds: number): Promise<string>;
  /**
   * Signs a user token issued to a client app, as an identity provider would. For development; with
   * `scopes` [NOTIFICATIONS_SCOPE] it is a delegated token the app service may post to that user with.
   */
  issueUserToken(
    subject: string,
    appId: string,
    ttlSeconds: number,
    scopes?: readonly string[],
  ): Promise<string>;
  /**
   * Verifies a bearer token: signature by our key, algorithm ES256 only, `exp`, `iss`, `aud` required.
   * @throws GatewayError UNAUTHENTICATED for any token that fails, whatever the reason.
   */
  readonly verify: TokenVerifier;
}

export interface EmbeddedIssuerOptions {
  readonly key: SigningKey;
  /**
   * Public keys verified (and published) beside `key`, which signs: during a rotation, the previous key
   * and the staged next one (signing-key.ts loadVerificationKeys).
   */
  readonly verificationKeys?: readonly JWK[];
  readonly issuer: string;
  readonly audience: string;
  /** Tolerated clock skew in seconds. */
  readonly clockToleranceSeconds?: number;
  /** The clock tokens are issued (`iat`, `exp`) and verified by; default: the system clock. */
  readonly now?: () => Date;
}

export function createEmbeddedIssuer(options: EmbeddedIssuerOptions): EmbeddedIssuer {
  const { key, issuer, audience } = options;
  const jwks: JSONWebKeySet = { keys: [key.publicJwk, ...(options.verificationKeys ?? [])] };
  const now = options.now ?? (() => new Date());

  const sign = (claims: JWTPayload, subject: string, ttlSeconds: number): Promise<string> => {
    const issuedAt = Math.floor(now().getTime() / 1000);
    return new SignJWT(claims)
      .setProtectedHeader({ alg: SIGNING_ALGORITHM, kid: key.kid, typ: 'at+jwt' })
      .setIssuer(issuer)
      .setAudience(audience)
      .setSubject(subject)
      .setIssuedAt(issuedAt)
      .setJti(randomUUID())
      .setExpirationTime(issuedAt + ttlSeconds)
      .sign(key.privateKey);
  };

  return {
    issuer,
    jwks,
    issueAppToken: (appId, ttlSeconds) =>
      sign({ idtyp: 'app', azp: appId, client_id: appId, scope: NOTIFICATIONS_SCOPE }, appId, ttlSeconds),
    issueUserToken: (subject, appId, ttlSeconds, scopes = []) =>
      sign({ idtyp: 'user', azp: appId, client_id: appId, scope: scopes.join(' ') }, subject, ttlSeconds),
    verify: createTokenVerifier({
      keys: createLocalJWKSet(jwks),
      issuer,
      audience,
      algorithms: [SIGNING_ALGORITHM],
      clockToleranceSeconds: options.clockToleranceSeconds ?? 5,
      claims: EMBEDDED_CLAIMS,
      now,
    }),
  };
}

/**
 * Reads `Bearer <token>` from an Authorization header or a graphql-ws `connectionParams.authorization`.
 * @throws GatewayError UNAUTHENTICATED when it is missing or not a bearer credential.
 */
export function bearerToken(authorization: unknown): string {
  if (typeof authorization === 'string') {
    const match = /^Bearer +([A-Za-z0-9\-._~+/]+=*)$/i.exec(authorization.trim());
    if (match?.[1]) return match[1];
  }
  throw new GatewayError(
    ErrorCode.Unauthenticated,
    'Send an access token as "Authorization: Bearer <token>".',
  );
}
