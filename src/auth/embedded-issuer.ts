import { randomUUID } from 'node:crypto';
import { createLocalJWKSet, errors, type JSONWebKeySet, type JWTPayload, jwtVerify, SignJWT } from 'jose';
import { ErrorCode, GatewayError } from '../errors.js';
import { NOTIFICATIONS_SCOPE, type Principal } from './principal.js';
import { SIGNING_ALGORITHM, type SigningKey } from './signing-key.js';

/** Claims that tell our two token kinds apart (Entra ID's optional `idtyp` claim). */
type IdentityType = 'app' | 'user';

export interface EmbeddedIssuer {
  readonly jwks: JSONWebKeySet;
  /** Signs an app token (client credentials grant) carrying the notifications scope. */
  issueAppToken(appId: string, ttlSeconds: number): Promise<string>;
  /** Signs a user token issued to a client app, as an identity provider would. For development. */
  issueUserToken(subject: string, appId: string, ttlSeconds: number): Promise<string>;
  /**
   * Verifies a bearer token: signature by our key, algorithm ES256 only, `exp`, `iss`, `aud`, `sub`
   * required.
   * @throws GatewayError UNAUTHENTICATED for any token that fails, whatever the reason.
   */
  verify(token: string): Promise<Principal>;
}

export interface EmbeddedIssuerOptions {
  readonly key: SigningKey;
  readonly issuer: string;
  readonly audience: string;
  /** Tolerated clock skew in seconds. */
  readonly clockToleranceSeconds?: number;
}

export function createEmbeddedIssuer(options: EmbeddedIssuerOptions): EmbeddedIssuer {
  const { key, issuer, audience } = options;
  const jwks: JSONWebKeySet = { keys: [key.publicJwk] };
  const keySet = createLocalJWKSet(jwks);

  const sign = (claims: JWTPayload, subject: string, ttlSeconds: number): Promise<string> =>
    new SignJWT(claims)
      .setProtectedHeader({ alg: SIGNING_ALGORITHM, kid: key.kid, typ: 'at+jwt' })
      .setIssuer(issuer)
      .setAudience(audience)
      .setSubject(subject)
      .setIssuedAt()
      .setJti(randomUUID())
      .setExpirationTime(`${ttlSeconds}s`)
      .sign(key.privateKey);

  return {
    jwks,
    issueAppToken: (appId, ttlSeconds) =>
      sign(
        { idtyp: 'app' satisfies IdentityType, client_id: appId, scope: NOTIFICATIONS_SCOPE },
        appId,
        ttlSeconds,
      ),
    issueUserToken: (subject, appId, ttlSeconds) =>
      sign({ idtyp: 'user' satisfies IdentityType, azp: appId, scope: '' }, subject, ttlSeconds),
    async verify(token) {
      let payload: JWTPayload;
      try {
        ({ payload } = await jwtVerify(token, keySet, {
          algorithms: [SIGNING_ALGORITHM],
          issuer,
          audience,
          requiredClaims: ['exp', 'iss', 'aud', 'sub'],
          clockTolerance: options.clockToleranceSeconds ?? 5,
        }));
      } catch (error) {
        if (error instanceof errors.JOSEError || error instanceof TypeError) {
          throw new GatewayError(ErrorCode.Unauthenticated, 'The access token is invalid or expired.', {
            details: { reason: error instanceof errors.JOSEError ? error.code : 'ERR_MALFORMED' },
          });
        }
        throw error;
      }
      return principalFromClaims(payload);
    },
  };
}

function principalFromClaims(payload: JWTPayload): Principal {
  const unauthenticated = (why: string) =>
    new GatewayError(ErrorCode.Unauthenticated, `The access token is not usable here: ${why}.`);
  const scopes = typeof payload.scope === 'string' ? payload.scope.split(' ').filter(Boolean) : [];
  const expiresAt = new Date((payload.exp ?? 0) * 1000);
  const subject = payload.sub ?? '';
  if (payload.idtyp === 'app') {
    if (typeof payload.client_id !== 'string' || payload.client_id !== subject) {
      throw unauthenticated('app token without a matching client_id');
    }
    return { kind: 'app', appId: subject, scopes, expiresAt };
  }
  if (payload.idtyp === 'user') {
    if (typeof payload.azp !== 'string' || payload.azp === '') {
      throw unauthenticated('user token without azp (the client app it was issued to)');
    }
    return { kind: 'user', issuer: payload.iss ?? '', subject, appId: payload.azp, scopes, expiresAt };
  }
  throw unauthenticated('unknown idtyp');
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
