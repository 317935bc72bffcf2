import type { IncomingMessage, ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import { type Logger, lazyChild } from '../logger.js';
import { REQUEST_ID_HEADER, requestIdOf } from '../observability/request-id.js';

/** Longest path written to the access log (the rest is cut). */
const MAX_LOGGED_PATH = 200;

/**
 * Starts the log of an HTTP request: gives it an id (sent back in `X-Request-Id`), returns a logger whose
 * every line carries that id and the client's address, and writes the access line when the response
 * ends: method, path (without the query string), status and duration; never headers (tokens) or bodies.
 */
export function logRequest(
  request: IncomingMessage,
  response: ServerResponse,
  path: string,
  logger: Logger,
  clientAddress: string,
): Logger {
  const started = performance.now();
  const requestId = requestIdOf(request);
  const bindings = { requestId, clientAddress };
  // The request's own logger is made only if a handler logs (most requests write the access line only,
  // which carries the same fields without one: a pino child per request was a visible share of a post).
  const log = lazyChild(logger, bindings);
  response.setHeader(REQUEST_ID_HEADER, requestId);
  // `on`, not `once`: a response closes once, and `once` wraps the listener per request.
  response.on('close', () => {
    const line: Record<string, unknown> = {
      requestId,
      clientAddress,
      method: request.method,
      path: path.slice(0, MAX_LOGGED_PATH),
      status: response.statusCode,
      durationMs: Math.round((performance.now() - started) * 1000) / 1000,
    };
    if (!response.writableFinished) line.aborted = true;
    logger.info('http request', line);
  });
  return log;
}
