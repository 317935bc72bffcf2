import { createRemoteJWKSet, decodeJwt } from 'jose';
import type { ExternalIssuerConfig } from '../config/config.js';
import { ErrorCode, GatewayError } from '../errors.js';
import type { EmbeddedIssuer } from './embedded-issuer.js';
import { tokenDigest } from './token-digest.js';
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
  const verifierOf = createVerifierMemo(verifiers);
  return (token) => {
    // Made once for both caches: this one's, and the verifier's of verified tokens.
    const digest = tokenDigest(token);
    const verify = verifierOf(token, digest);
    if (!verify) {
      return Promise.reject(
        new GatewayError(ErrorCode.Unauthenticated, 'The access token is invalid or expired.', {
          details: { reason: 'ERR_UNKNOWN_ISSUER' },
        }),
      );
    }
    return verify(token, digest);
  };
}

/** Tokens whose issuer's verifier is remembered at most (then forgotten all at once, as verified tokens are). */
export const MAX_REMEMBERED_ISSUERS = 1000;

/**
 * The verifier of the issuer a token names in its unverified `iss` (undefined when no accepted issuer
 * has that name, it has none, or it is not a JWT), remembered per token: a client sends the same token
 * with every request, and decoding it again (base64url, JSON, checks) was about 2 % of a post's CPU, more
 * than the verification its verifier then answers from its own cache. The answer depends on the text
 * alone, so it never goes stale; the memory is bounded by count, and each entry is small whatever the
 * token's length: its digest (token-digest.ts) and a verifier that every entry shares, not the token's
 * text and a fresh copy of its `iss` (≈ 0.5 KiB per open socket's user, with 1,000 users or fewer).
 */
function createVerifierMemo(
  verifiers: ReadonlyMap<string, TokenVerifier>,
): (token: string, key: string) => TokenVerifier | undefined {
  const remembered = new Map<string, TokenVerifier>();
  return (token, key) => {
    const known = remembered.get(key);
    if (known !== undefined) return known;
    let issuer: unknown;
    try {
      issuer = decodeJwt(token).iss;
    } catch {
      return undefined;
    }
    const verify = typeof issuer === 'string' ? verifiers.get(issuer) : undefined;
    if (verify === undefined) return undefined;
    if (remembered.size >= MAX_REMEMBERED_ISSUERS) remembered.clear();
    remembered.set(key, verify);
    return verify;
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
