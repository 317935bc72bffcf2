import { ClientErrorCode, TidingsClientError } from './client-error.js';
import type { TokenProvider } from './types.js';

export type FetchLike = (url: string, init: RequestInit) => Promise<Response>;

/** One GraphQL operation over HTTP; resolves with its `data`. */
export type GraphQLRequest = <T>(query: string, variables?: Record<string, unknown>) => Promise<T>;

/**
 * Asks the app for a token.
 * @throws TidingsClientError TOKEN_UNAVAILABLE when the provider throws or gives no token.
 */
export async function obtainToken(provider: TokenProvider, refresh: boolean): Promise<string> {
  let token: string;
  try {
    token = await provider({ refresh });
  } catch (error) {
    throw new TidingsClientError(ClientErrorCode.TokenUnavailable, 'The token provider failed.', {
      cause: error,
    });
  }
  if (typeof token !== 'string' || token === '') {
    throw new TidingsClientError(ClientErrorCode.TokenUnavailable, 'The token provider gave no token.');
  }
  return token;
}

/** How long the check of whether the gateway answers at all may take (see noAnswer). */
const PROBE_TIMEOUT_MS = 5000;

/**
 * The error for a request that got no answer: NETWORK_ERROR, retried like any. In a browser, a request
 * the browser blocked because the gateway does not allow the page's origin (CORS) fails exactly as one to
 * a gateway that is down. A `no-cors` HEAD request tells them apart: the page may not read its answer, but
 * it succeeds whenever the gateway answers. Then the message says the browser blocked it, and what to set.
 */
async function noAnswer(cause: unknown, url: string, send: FetchLike): Promise<TidingsClientError> {
  const page = (globalThis as { location?: { origin?: unknown } }).location?.origin;
  let blocked = false;
  if (typeof page === 'string' && URL.canParse(url) && new URL(url).origin !== page) {
    try {
      await send(url, { method: 'HEAD', mode: 'no-cors', signal: AbortSignal.timeout(PROBE_TIMEOUT_MS) });
      blocked = true;
    } catch {
      // no answer to that either: unreachable, or blocked otherwise (the page's CSP, mixed content)
    }
  }
  const message = blocked
    ? `The gateway answered, but the browser blocked the answer (CORS): the gateway must allow this page's origin, ${page} (its TIDINGS_CORS_ORIGINS).`
    : typeof page === 'string'
      ? 'The gateway is unreachable, or the browser blocked the request (CORS).'
      : 'The gateway could not be reached.'; // not in a browser: nothing blocks requests here
  return new TidingsClientError(ClientErrorCode.NetworkError, message, { cause });
}

interface GraphQLBody {
  data?: unknown;
  errors?: ReadonlyArray<{ message?: string; extensions?: { code?: unknown } }>;
}

/**
 * GraphQL over HTTP with the user's token: POST, JSON. A token the gateway refuses (401) is replaced
 * once, by asking the provider with `refresh: true`, and the operation sent again.
 * @throws TidingsClientError with the gateway's code (`NOT_FOUND`, `BAD_USER_INPUT`, …), or
 *   NETWORK_ERROR when the gateway is unreachable (or the browser blocked the request: CORS) or answers a
 *   5xx, 408 or 429 without GraphQL,
 *   INVALID_ENDPOINT when the URL answers anything else without GraphQL (a 404, an HTML page), or
 *   TOKEN_UNAVAILABLE.
 */
export function createGraphQLRequest(options: {
  readonly url: string;
  readonly token: TokenProvider;
  readonly fetch?: FetchLike;
}): GraphQLRequest {
  // Not `options.fetch ?? fetch` called as a method: browsers refuse fetch called on another object.
  const send: FetchLike = options.fetch ?? ((url, init) => fetch(url, init));

  async function attempt(query: string, variables: Record<string, unknown>, refresh: boolean) {
    const token = await obtainToken(options.token, refresh);
    let response: Response;
    let text: string;
    try {
      response = await send(options.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({ query, variables }),
      });
      text = await response.text();
    } catch (error) {
      throw await noAnswer(error, options.url, send);
    }
    let body: GraphQLBody | null;
    try {
      const parsed: unknown = JSON.parse(text);
      body = typeof parsed === 'object' && parsed !== null ? (parsed as GraphQLBody) : null;
    } catch {
      body = null; // e.g. an HTML page
    }
    return { status: response.status, body };
  }

  return async function request<T>(query: string, variables: Record<string, unknown> = {}): Promise<T> {
    let { status, body } = await attempt(query, variables, false);
    if (status === 401) ({ status, body } = await attempt(query, variables, true));
    const error = body?.errors?.[0];
    if (error) {
      const code =
        typeof error.extensions?.code === 'string' ? error.extensions.code : 'INTERNAL_SERVER_ERROR';
      throw new TidingsClientError(code, error.message ?? 'The gateway answered with an error.');
    }
    if (typeof body?.data === 'object' && body.data !== null) return body.data as T;
    // Not a GraphQL answer. A proxy's 5xx, a 408 or a 429 may pass; anything else (a 404, an HTML page)
    // means the URL is not the gateway's GraphQL endpoint, which no retry fixes.
    if (status >= 500 || status === 408 || status === 429) {
      throw new TidingsClientError(
        ClientErrorCode.NetworkError,
        `The gateway answered ${status} without data.`,
      );
    }
    throw new TidingsClientError(
      ClientErrorCode.InvalidEndpoint,
      `${options.url} answered ${status} without GraphQL: is it the gateway's GraphQL URL?`,
    );
  };
}
