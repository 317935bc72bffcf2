import { errors, type JWTPayload, type JWTVerifyGetKey, jwtVerify } from 'jose';
import type { ClaimNames } from '../config/config.js';
import { ErrorCode, GatewayError } from '../errors.js';
import type { Principal } from './principal.js';
import { tokenDigest } from './token-digest.js';

export interface TokenVerifierOptions {
  /** The issuer's public keys: a local key set, or jose's remote one (cached, with a cooldown). */
  readonly keys: JWTVerifyGetKey;
  readonly issuer: string;
  readonly audience: string;
  /** Pinned: a token signed with anything else is refused before its signature is looked at. */
  readonly algorithms: readonly string[];
  readonly clockToleranceSeconds: number;
  readonly claims: ClaimNames;
  /**
   * The gateway's clock, which `exp` and `nbf` are checked against (jose's `currentDate`): the clock that
   * also closes WebSockets when their token runs out, so both transports follow one rule. Default: the
   * system clock.
   */
  readonly now?: () => Date;
}

/** Verifies one issuer's bearer tokens and reads the principal from them. */
/** `digest`: the token's tokenDigest, when the caller has made it already (it is not made again). */
export type TokenVerifier = (token: string, digest?: string) => Promise<Principal>;

/**
 * Verification: signature by one of the issuer's keys with a pinned algorithm; `exp`, `iss`, `aud`
 * required and checked with the configured clock tolerance (jose also checks `nbf` when present), by
 * `options.now`. The principal says when that check will first fail (`acceptedUntilMs`).
 * @throws GatewayError UNAUTHENTICATED for any token that fails, whatever the reason;
 *   SERVICE_UNAVAILABLE when the issuer's keys cannot be fetched (the token may be fine: retry).
 */
export function createTokenVerifier(options: TokenVerifierOptions): TokenVerifier {
  const keys = keysOrUnavailable(options.keys);
  const now = options.now ?? (() => new Date());
  // A client sends the same token with every request until it expires; checking its signature each time
  // was a quarter of a simple request's CPU. A verified token is remembered for at most VERIFIED_FOR_MS
  // (so a key withdrawn at the issuer stops being accepted within that time) and never from the instant
  // jose would refuse it. Keyed by the token's digest, not its text (token-digest.ts): up to MAX_VERIFIED
  // tokens are held, one per open socket's user.
  const verified = new Map<string, { principal: Principal; until: number }>();
  return async (token, key = tokenDigest(token)) => {
    const at = now().getTime();
    const known = verified.get(key);
    if (known && known.until > at) return known.principal;
    const principal = await verifyFully(token);
    if (verified.size >= MAX_VERIFIED) verified.clear();
    verified.set(key, {
      principal,
      until: Math.min(at + VERIFIED_FOR_MS, principal.acceptedUntilMs),
    });
    return principal;
  };

  async function verifyFully(token: string): Promise<Principal> {
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, keys, {
        algorithms: [...options.algorithms],
        issuer: options.issuer,
        audience: options.audience,
        requiredClaims: ['exp', 'iss', 'aud'],
        clockTolerance: options.clockToleranceSeconds,
        currentDate: now(),
      }));
    } catch (error) {
      throw refusal(error) ?? error;
    }
    // jose checked `iss` against options.issuer: that string is used, not the one parsed from each token,
    // so the principals of open sockets share one.
    return principalFromClaims(payload, options.issuer, options.claims, options.clockToleranceSeconds);
  }
}

const VERIFIED_FOR_MS = 30_000;
const MAX_VERIFIED = 10_000;

class KeysUnavailable extends Error {
  override name = 'KeysUnavailable';
}

// What a key set throws because of the token itself (its kid or alg); anything else came from fetching
// the key set (network, timeout, not 200, not a key set) and says nothing about the token.
const TOKEN_FAULTS = new Set([
  'ERR_JWKS_NO_MATCHING_KEY',
  'ERR_JWKS_MULTIPLE_MATCHING_KEYS',
  'ERR_JOSE_NOT_SUPPORTED',
  'ERR_JWK_INVALID',
]);

function keysOrUnavailable(keys: JWTVerifyGetKey): JWTVerifyGetKey {
  return async (header, token) => {
    try {
      return await keys(header, token);
    } catch (error) {
      if (error instanceof errors.JOSEError && TOKEN_FAULTS.has(error.code)) throw error;
      throw new KeysUnavailable('The issuer key set could not be fetched.', { cause: error });
    }
  };
}

/** The coded refusal for a failed verification; undefined for a bug of ours (masked as internal). */
function refusal(error: unknown): GatewayError | undefined {
  if (error instanceof KeysUnavailable) {
    return new GatewayError(
      ErrorCode.ServiceUnavailable,
      "The token issuer's keys cannot be fetched right now; retry later.",
      { cause: error },
    );
  }
  if (error instanceof errors.JOSEError || error instanceof TypeError) {
    return new GatewayError(ErrorCode.Unauthenticated, 'The access token is invalid or expired.', {
      details: { reason: error instanceof errors.JOSEError ? error.code : 'ERR_MALFORMED' },
    });
  }
  return undefined;
}

/**
 * An app token (its token-type claim says so) names the app service; any other token is a user's,
 * issued to the client app in the app claim, and can only be used in that app's feeds.
 */
function principalFromClaims(
  payload: JWTPayload,
  issuer: string,
  claims: ClaimNames,
  clockToleranceSeconds: number,
): Principal {
  const unauthenticated = (why: string) =>
    new GatewayError(ErrorCode.Unauthenticated, `The access token is not usable here: ${why}.`);
  // RFC 9068's client_id when the configured claim is absent (embedded app tokens before azp was added).
  const appId = payload[claims.app] ?? payload.client_id;
  if (typeof appId !== 'string' || appId === '') {
    throw unauthenticated(`no ${claims.app} claim (the app the token was issued to)`);
  }
  const scopes = sharedScopes(claims.scopes.flatMap((name) => scopesIn(payload[name])));
  const exp = payload.exp ?? 0;
  // jose refuses a token once `exp <= now - tolerance`, `now` in whole seconds (rounded down): from the
  // first whole second at or after `exp + tolerance`.
  const acceptedUntilMs = Math.ceil(exp + clockToleranceSeconds) * 1000;
  // Every field written out, not spread: a spread's properties went to a property array of their own in
  // each principal, which an open socket keeps.
  if (payload[claims.tokenType] === claims.appTokenType) {
    return { kind: 'app', issuer, appId, scopes, acceptedUntilMs };
  }
  const subject = payload[claims.user];
  if (typeof subject !== 'string' || subject === '') {
    throw unauthenticated(`no ${claims.user} claim (the user)`);
  }
  return { kind: 'user', issuer, subject, appId, scopes, acceptedUntilMs };
}

// Tokens of one app carry the same few scope lists: every principal of one list shares one frozen array
// (an open socket keeps its principal). Bounded in entries like the verified-token cache, and in size: a
// list longer than any app's usual few scopes is not shared (nor kept here).
const MAX_SCOPE_LISTS = 1000;
const MAX_SHARED_SCOPES_CHARS = 1024;
const scopeLists = new Map<string, readonly string[]>();
function sharedScopes(scopes: string[]): readonly string[] {
  const key = JSON.stringify(scopes);
  if (key.length > MAX_SHARED_SCOPES_CHARS) return Object.freeze(scopes);
  const known = scopeLists.get(key);
  if (known) return known;
  if (scopeLists.size >= MAX_SCOPE_LISTS) scopeLists.clear();
  const shared = Object.freeze(scopes);
  scopeLists.set(key, shared);
  return shared;
}

/** OAuth's `scope` is space-separated; Entra's `roles` (and some issuers' `scp`) is an array. */
function scopesIn(value: unknown): string[] {
  if (typeof value === 'string') return value.split(' ').filter(Boolean);
  if (Array.isArray(value)) return value.filter((item): item is string => typeof item === 'string');
  return [];
}
