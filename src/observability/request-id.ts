import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

export const REQUEST_ID_HEADER = 'x-request-id';

// A client's own id is kept only when it is short and made of characters no log line or header can
// trip over; anything else is replaced, never echoed.
const SAFE_REQUEST_ID = /^[A-Za-z0-9._:+=/-]{1,128}$/;
/** The request's id: the client's `X-Request-Id` when it is safe to keep, else a new UUID. */
export function requestIdOf(request: IncomingMessage): string {
  const given = request.headers[REQUEST_ID_HEADER];
  return typeof given === 'string' && SAFE_REQUEST_ID.test(given) ? given : randomUUID();
}
