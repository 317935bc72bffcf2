import type { IncomingMessage } from 'node:http';
import type { VerifyClientCallbackAsync } from 'ws';
import type { Logger } from '../logger.js';

/** Longest `Origin` written to the log (the rest is cut). */
const MAX_LOGGED_ORIGIN = 200;

const firstValue = (header: string | string[] | undefined): string | undefined =>
  (Array.isArray(header) ? header[0] : header)?.split(',')[0]?.trim().toLowerCase();

/**
 * Whether `origin` is the gateway's own (its web inbox): its host is the one the request was sent to,
 * `Host`, or `X-Forwarded-Host` behind a proxy that rewrites `Host`. A page can set neither header, so a
 * page of another origin cannot pass for the gateway's own.
 */
function isSameOrigin(origin: string, request: IncomingMessage): boolean {
  if (!URL.canParse(origin)) return false;
  const host = new URL(origin).host;
  return (
    host === firstValue(request.headers.host) || host === firstValue(request.headers['x-forwarded-host'])
  );
}

/**
 * The `Origin` check of WebSocket upgrades (`ws`'s `verifyClient`). CORS does not apply to WebSockets, but a
 * browser always sends the page's `Origin` on the upgrade: an origin neither allowed (`allowsOrigin`, the
 * list HTTP's CORS uses) nor the gateway's own is refused with HTTP 403 before the socket opens. A client
 * that sends no `Origin` is not a browser page (an app service, the CLI, a native app) and passes.
 */
export function createOriginCheck(
  allowsOrigin: (origin: string) => boolean,
  logger: Logger,
): VerifyClientCallbackAsync {
  return ({ req }, done) => {
    const origin = req.headers.origin;
    if (origin === undefined || allowsOrigin(origin) || isSameOrigin(origin, req)) return done(true);
    logger.info('websocket upgrade refused: origin not allowed', {
      origin: origin.slice(0, MAX_LOGGED_ORIGIN),
    });
    done(false, 403, 'Origin not allowed');
  };
}
