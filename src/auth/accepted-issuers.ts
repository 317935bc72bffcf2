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
  const issuerOf = createIssuerMemo();
  return (token) => {
    const issuer = issuerOf(token);
    const verify = issuer === undefined ? undefined : verifiers.get(issuer);
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

/** Tokens whose `iss` is remembered at most (then forgotten all at once, as the verified tokens are). */
export const MAX_REMEMBERED_ISSUERS = 1000;

/**
 * A token's unverified `iss` (undefined when it has none, or is not a JWT), remembered per token text: a
 * client sends the same token with every request, and decoding it again (base64url, JSON, checks) was
 * about 2 % of a post's CPU, more than the verification its verifier then answers from its own cache.
 * The answer depends on the text alone, so it never goes stale; only the memory is bounded: by count, and
 * by size, since nothing is verified yet (a token longer than MAX_REMEMBERED_TOKEN_LENGTH, e.g. 100 KB of
 * junk after two valid parts sent by anyone, is decoded each time instead of held).
 */
/** Real tokens are 0.5–2 KB; 1,000 of this size at most are held. */
const MAX_REMEMBERED_TOKEN_LENGTH = 4096;

function createIssuerMemo(): (token: string) => string | undefined {
  const issuers = new Map<string, string>();
  return (token) => {
    const known = issuers.get(token);
    if (known !== undefined) return known;
    let issuer: unknown;
    try {
      issuer = decodeJwt(token).iss;
    } catch {
      return undefined;
    }
    if (typeof issuer !== 'string') return undefined;
    if (token.length > MAX_REMEMBERED_TOKEN_LENGTH) return issuer;
    if (issuers.size >= MAX_REMEMBERED_ISSUERS) issuers.clear();
    issuers.set(token, issuer);
    return issuer;
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
