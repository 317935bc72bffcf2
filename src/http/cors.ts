import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AllowedOrigins } from '../config/config.js';
import { UnreachableCaseError } from '../errors.js';
import { sendJson } from './respond.js';

// What a page on an allowed origin may send and read. The request headers are those the client library,
// Apollo's CSRF prevention and the Graph-compatible route use; the response headers those a client acts on
// (a request id to report, when to retry, a created notification's address, a token challenge).
const ALLOW_METHODS = 'GET, POST';
const ALLOW_HEADERS = [
  'authorization',
  'content-type',
  'apollo-require-preflight',
  'x-request-id',
  'x-uns-id',
  'content-encoding',
].join(', ');
const EXPOSE_HEADERS = ['x-request-id', 'retry-after', 'location', 'www-authenticate'].join(', ');
/** How long a browser may reuse a preflight's answer: Chromium's ceiling (Firefox's is a day). */
const MAX_AGE_SECONDS = 7200;

/** Where a developer's pages run: these hosts, over http or https, on any port. */
const LOOPBACK_HOSTS: ReadonlySet<string> = new Set(['localhost', '127.0.0.1', '[::1]']);

function isLoopbackOrigin(origin: string): boolean {
  if (!URL.canParse(origin)) return false;
  const url = new URL(origin);
  return (
    (url.protocol === 'http:' || url.protocol === 'https:') &&
    LOOPBACK_HOSTS.has(url.hostname) &&
    url.origin === origin // an origin as browsers send it: nothing after the port
  );
}

/**
 * Whether a page of `origin` (an `Origin` header, as browsers send it) may call the gateway.
 * @throws UnreachableCaseError for a kind of allow-list it does not know (a type error first).
 */
export function createOriginPolicy(allowed: AllowedOrigins): (origin: string) => boolean {
  switch (allowed.kind) {
    case 'any':
      return () => true;
    case 'loopback':
      return isLoopbackOrigin;
    case 'listed': {
      const origins = new Set(allowed.origins);
      return (origin) => origins.has(origin);
    }
    default:
      throw new UnreachableCaseError(allowed);
  }
}

/** Sets a route's CORS headers; answers a preflight, and then returns true (the route must not run). */
export type CorsHandler = (request: IncomingMessage, response: ServerResponse) => boolean;

/**
 * Cross-origin resource sharing for the routes pages on other origins call. Every answer varies by
 * `Origin`; an allowed origin's carries `Access-Control-Allow-Origin` (that origin) and the headers a page
 * may read, errors included (a page must see a 401 to renew its token). A preflight (`OPTIONS` with
 * `Origin` and `Access-Control-Request-Method`) is answered here: 204 with the methods and headers a page
 * may send, or 403 for an origin not allowed. Never `Access-Control-Allow-Credentials`: Tidings takes bearer
 * tokens, which a page must hold, never cookies or other credentials a browser adds by itself.
 *
 * Written here rather than taken from the `cors` package (which Apollo Server brings): Express-style
 * middleware with a callback, it sends no `Vary: Origin` when the origin is refused or absent and leaves
 * a refused preflight to the route; and the allow-list had to be ours anyway, for WebSocket upgrades.
 */
export function createCors(allowsOrigin: (origin: string) => boolean): CorsHandler {
  return function applyCors(request, response) {
    const previous = response.getHeader('vary');
    response.setHeader('vary', previous ? `${String(previous)}, Origin` : 'Origin');
    const origin = request.headers.origin;
    const allowed = origin !== undefined && allowsOrigin(origin);
    const preflight =
      request.method === 'OPTIONS' &&
      origin !== undefined &&
      request.headers['access-control-request-method'] !== undefined;
    if (!preflight) {
      if (allowed) {
        response.setHeader('access-control-allow-origin', origin);
        response.setHeader('access-control-expose-headers', EXPOSE_HEADERS);
      }
      return false;
    }
    if (!allowed) {
      sendJson(response, 403, {
        error: 'origin_not_allowed',
        error_description:
          "Pages of this origin may not call the gateway (the gateway's TIDINGS_CORS_ORIGINS).",
      });
      return true;
    }
    response.writeHead(204, {
      'access-control-allow-origin': origin,
      'access-control-allow-methods': ALLOW_METHODS,
      'access-control-allow-headers': ALLOW_HEADERS,
      'access-control-max-age': String(MAX_AGE_SECONDS),
      'content-length': '0',
    });
    response.end();
    return true;
  };
}
