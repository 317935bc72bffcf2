import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Logger } from '../logger.js';
import type { ClientAddressOf } from '../observability/client-address.js';
import type { CorsHandler } from './cors.js';
import { logRequest } from './request-log.js';
import { sendJson } from './respond.js';
import { answerRouteFailure } from './retry-later.js';

/** A route is given its request's own log (request-log.ts): every line it writes carries the request id. */
export type Route = (request: IncomingMessage, response: ServerResponse, log: Logger) => Promise<void> | void;

/** Routes by `"<METHOD> <path>"`, e.g. `"POST /oauth2/token"`. */
export type RouteTable = Readonly<Record<string, Route>>;

export interface HttpServerOptions {
  readonly routes: RouteTable;
  /** A route for paths the table does not name exactly (e.g. a path pattern); undefined: 404. */
  readonly routeByPath?: (path: string) => Route | undefined;
  readonly logger: Logger;
  /** How long an idle keep-alive connection stays open (see TIDINGS_HTTP_KEEP_ALIVE_TIMEOUT_MS). */
  readonly keepAliveTimeoutMs: number;
  /** The paths pages on other origins may call, and their CORS headers and preflights (see cors.ts). */
  readonly cors?: { readonly serves: (path: string) => boolean; readonly apply: CorsHandler };
  /** The client's address, for the access log (behind trusted proxies, from `X-Forwarded-For`). */
  readonly clientAddress: ClientAddressOf;
}

/**
 * Node's HTTP server, dispatching to the route table. Every request gets an id and an access line (see
 * request-log.ts), and on the CORS paths its cross-origin headers; a path no route serves answers 404; a
 * route that throws answers as answerRouteFailure says (503 + Retry-After while the store is unreachable,
 * else 500 with the error logged, never sent).
 */
export function createHttpServer(options: HttpServerOptions): Server {
  const server = createServer((request, response) => {
    const path = pathOf(request.url);
    // Every line about this request carries its id and client address (and one access line is written
    // when it ends).
    const log = logRequest(request, response, path, options.logger, options.clientAddress(request));
    // Closing (no longer listening): a request still sent on a kept connection is answered, and its
    // connection closed after it, so that a proxy does not send another on a connection about to be cut.
    if (!server.listening) response.setHeader('connection', 'close');
    // Before the route, so that its every answer (errors too) carries them; a preflight ends here.
    if (options.cors?.serves(path) && options.cors.apply(request, response)) return;
    const route = options.routes[`${request.method} ${path}`] ?? options.routeByPath?.(path);
    if (!route) {
      sendJson(response, 404, {
        error: 'not_found',
        error_description: `No route for ${request.method} ${path}.`,
      });
      return;
    }
    Promise.resolve()
      .then(() => route(request, response, log))
      .catch((error: unknown) => answerRouteFailure(error, response, log));
  });
  // Node announces it to clients (`Keep-Alive: timeout=…`); headersTimeout (60 s) runs only while a
  // request's headers arrive, not while a connection waits for its next request.
  server.keepAliveTimeout = options.keepAliveTimeoutMs;
  return server;
}

// A path made only of these, without `//` (which URL reads as a host), needs no URL parsing: `new URL`
// would return it unchanged (no dot segments, percent-encoding, backslashes or other characters it rewrites).
const PLAIN_PATH = /^\/[A-Za-z0-9_~/-]*$/;

/** The request's path, as `new URL(url).pathname` gives it, without parsing a URL for a plain one. */
function pathOf(url = '/'): string {
  const mark = url.indexOf('?');
  const path = mark < 0 ? url : url.slice(0, mark);
  return PLAIN_PATH.test(path) && !path.includes('//') ? path : new URL(url, 'http://localhost').pathname;
}
