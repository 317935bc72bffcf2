import { createRemoteJWKSet, decodeJwt } from 'jose';
import type { ExternalIssuerConfig } from '../config/config.js';
import { ErrorCode, GatewayError } from '../errors.js';
import type { EmbeddedIssuer } from './embedded-issuer.js';
import { createTokenVerifier, type TokenVerifier } from './token-verifier.js';

/**
 * Verifies a bearer token with the issuer it names: the embedded one (always: apps get tokens from its
 * token endpoint) or the configured external one. The unverified `iss` only picks the verifier; that
 * verifier then checks `iss` again along with the signature.
 * @throws GatewayError UNAUTHENTICATED for a token no accepted issuer vouches for; SERVICE_UNAVAILABLE
 *   when the external issuer's keys cannot be fetched.
 */
export function createAcceptedIssuersVerifier(
  embedded: EmbeddedIssuer,
  external: ExternalIssuerConfig | null,
  clockToleranceSeconds: number,
  now: () => Date,
): TokenVerifier {
  const verifiers = new Map<string, TokenVerifier>([[embedded.issuer, embedded.verify]]);
  if (external) verifiers.set(external.issuer, createExternalVerifier(external, clockToleranceSeconds, now));
  return (token) => {
    let issuer: unknown;
    try {
      issuer = decodeJwt(token).iss;
    } catch {
      issuer = undefined;
    }
    const verify = typeof issuer === 'string' ? verifiers.get(issuer) : undefined;
    if (!verify) {
      return Promise.reject(
        new GatewayError(ErrorCode.Unauthenticated, 'The access token is invalid or expired.', {
          details: { reason: 'ERR_UNKNOWN_ISSUER' },
        }),
      );
    }
    return verify(token);
  };
}

/**
 * An OIDC issuer's tokens, with keys from its JWKS URL through jose's remote key set: fetched on first
 * use, cached, and fetched again for an unknown `kid` (a key rotation) at most once per cooldown.
 * Nothing is fetched at start, so an unreachable issuer delays nothing and crashes nothing.
 */
function createExternalVerifier(
  external: ExternalIssuerConfig,
  clockToleranceSeconds: number,
  now: () => Date,
): TokenVerifier {
  return createTokenVerifier({
    keys: createRemoteJWKSet(external.jwksUrl, {
      cacheMaxAge: external.jwksCacheMaxAgeMs,
      cooldownDuration: external.jwksCooldownMs,
      timeoutDuration: external.jwksTimeoutMs,
    }),
    issuer: external.issuer,
    audience: external.audience,
    algorithms: external.algorithms,
    clockToleranceSeconds,
    claims: external.claims,
    now,
  });
}
