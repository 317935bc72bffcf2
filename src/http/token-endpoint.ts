import type { IncomingMessage, ServerResponse } from 'node:http';
import { clientSecretMatches } from '../auth/client-credentials.js';
import type { EmbeddedIssuer } from '../auth/embedded-issuer.js';
import { NOTIFICATIONS_SCOPE } from '../auth/principal.js';
import { isServiceUnavailable } from '../errors.js';
import type { Store } from '../store/types.js';
import { BodyTooLargeError, readBody } from './read-body.js';
import { sendJson } from './respond.js';
import { retryAfterHeader } from './retry-later.js';

export interface TokenEndpointOptions {
  readonly issuer: EmbeddedIssuer;
  readonly store: Store;
  readonly tokenTtlSeconds: number;
}

// RFC 6749 §5.2 error codes we answer with, and its `temporarily_unavailable` (§4.1.2.1) for a 503.
type OAuthError =
  | 'invalid_request'
  | 'invalid_client'
  | 'unsupported_grant_type'
  | 'invalid_scope'
  | 'temporarily_unavailable';

const MAX_FORM_BYTES = 4096;
const NO_STORE = { 'cache-control': 'no-store', pragma: 'no-cache' };

/**
 * `POST /oauth2/token`: the OAuth 2.0 client credentials grant (RFC 6749 §4.4). The client
 * authenticates with HTTP Basic (§2.3.1, which servers must support) or with `client_id` and
 * `client_secret` in the form body, and gets an app token with the notifications scope. While the store
 * cannot be reached it answers 503 `temporarily_unavailable` with Retry-After.
 * @throws ClientGoneError when the client leaves before its whole body arrived.
 */
export function createTokenEndpoint(options: TokenEndpointOptions) {
  const fail = (
    response: ServerResponse,
    status: number,
    error: OAuthError,
    description: string,
    headers: Readonly<Record<string, string>> = {},
  ) => sendJson(response, status, { error, error_description: description }, { ...NO_STORE, ...headers });

  return async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    if (!/^application\/x-www-form-urlencoded\b/i.test(request.headers['content-type'] ?? '')) {
      return fail(response, 400, 'invalid_request', 'Send the request as application/x-www-form-urlencoded.');
    }
    let form: URLSearchParams;
    try {
      form = new URLSearchParams(await readBody(request, MAX_FORM_BYTES));
    } catch (error) {
      // The rest of the body is not read: the connection closes after the answer.
      if (error instanceof BodyTooLargeError) {
        return fail(response, 413, 'invalid_request', error.message, { connection: 'close' });
      }
      throw error;
    }
    if (form.get('grant_type') !== 'client_credentials') {
      return fail(
        response,
        400,
        'unsupported_grant_type',
        'Only grant_type=client_credentials is supported.',
      );
    }
    const basic = parseBasic(request.headers.authorization);
    const clientId = basic?.id ?? form.get('client_id');
    const secret = basic?.secret ?? form.get('client_secret');
    if (!clientId || !secret || (basic && form.has('client_secret'))) {
      return fail(
        response,
        400,
        'invalid_request',
        'Authenticate with exactly one of HTTP Basic or client_id and client_secret.',
      );
    }
    let app: Awaited<ReturnType<Store['findApp']>>;
    try {
      // Fresh, not cached: a secret rotated a moment ago (by the CLI, in another process) must not work.
      app = await options.store.findApp(clientId, { fresh: true });
    } catch (error) {
      if (!isServiceUnavailable(error)) throw error;
      // The store is unreachable for now: the credentials may be fine. Retry later, as every route says.
      return fail(
        response,
        503,
        'temporarily_unavailable',
        'Client credentials cannot be checked right now; retry shortly.',
        retryAfterHeader(),
      );
    }
    // An app registered with an external issuer gets its tokens there, never here.
    if (!app || app.tokenIssuer !== null || !clientSecretMatches(secret, app.secretHash)) {
      return fail(
        response,
        401,
        'invalid_client',
        'Unknown client or wrong secret.',
        basic ? { 'www-authenticate': 'Basic realm="tidings"' } : {},
      );
    }
    const scope = form.get('scope');
    if (scope?.split(' ').some((s) => s !== '' && s !== NOTIFICATIONS_SCOPE)) {
      return fail(
        response,
        400,
        'invalid_scope',
        `The only scope an app can have is ${NOTIFICATIONS_SCOPE}.`,
      );
    }
    const accessToken = await options.issuer.issueAppToken(app.id, options.tokenTtlSeconds);
    sendJson(
      response,
      200,
      {
        access_token: accessToken,
        token_type: 'Bearer',
        expires_in: options.tokenTtlSeconds,
        scope: NOTIFICATIONS_SCOPE,
      },
      NO_STORE,
    );
  };
}

/** Client credentials from `Authorization: Basic`, form-urlencoded per RFC 6749 §2.3.1. */
function parseBasic(header: string | undefined): { id: string; secret: string } | null {
  const match = /^Basic +([A-Za-z0-9+/]+=*)$/i.exec(header?.trim() ?? '');
  if (!match?.[1]) return null;
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return null;
  try {
    return {
      id: decodeURIComponent(decoded.slice(0, colon).replace(/\+/g, ' ')),
      secret: decodeURIComponent(decoded.slice(colon + 1).replace(/\+/g, ' ')),
    };
  } catch {
    return null;
  }
}
