import type { ServerResponse } from 'node:http';
import type { GraphQLRequestListener } from '@apollo/server';
import type { GraphQLFormattedError } from 'graphql';
import { ErrorCode, isServiceUnavailable } from '../errors.js';
import type { GatewayContext } from '../graphql/context.js';
import { errorFields, type Logger } from '../logger.js';
import { ClientGoneError } from './read-body.js';
import { sendJson } from './respond.js';

/**
 * What `Retry-After` says while the store (or an issuer's keys) cannot be reached: about one store
 * bound, so clients come back when a short outage may be over, not in a tight loop.
 */
export const UNAVAILABLE_RETRY_AFTER_SECONDS = 5;

/** The `Retry-After` header of a 503 (RFC 9110 §10.2.3). */
export const retryAfterHeader = (
  seconds: unknown = UNAVAILABLE_RETRY_AFTER_SECONDS,
): Record<string, string> => ({
  'retry-after': String(typeof seconds === 'number' ? seconds : UNAVAILABLE_RETRY_AFTER_SECONDS),
});

/** The codes that refuse a whole request for now, and how HTTP says "retry later" for each. */
const RETRY_LATER: Readonly<Record<string, { status: number; retryAfterSeconds: number }>> = {
  // RFC 6585: clients and proxies back off on their own.
  [ErrorCode.RateLimited]: { status: 429, retryAfterSeconds: 1 },
  // A dependency unreachable: clients, proxies and load balancers back off (or try another instance).
  [ErrorCode.ServiceUnavailable]: { status: 503, retryAfterSeconds: UNAVAILABLE_RETRY_AFTER_SECONDS },
};

/** How a refused-for-now GraphQL answer is sent over HTTP: its status and `Retry-After` (seconds). */
export interface RetryLater {
  readonly status: number;
  readonly retryAfter: string;
}

/**
 * A GraphQL request refused for now (RATE_LIMITED, SERVICE_UNAVAILABLE) answers 429 or 503 with
 * Retry-After, as every other route does, not 200 with an error inside. Only when nothing was done: a
 * request that did part of its work (one of several fields) keeps its 200, since retrying it all would
 * repeat that part. Undefined: the answer keeps its status.
 */
export function retryLaterOf(result: {
  readonly data?: Record<string, unknown> | null | undefined;
  readonly errors?: readonly GraphQLFormattedError[] | undefined;
}): RetryLater | undefined {
  const { data, errors } = result;
  // Most answers have no errors: nothing to look at in their data.
  if (!errors) return undefined;
  const refusal = errors.find((error) => String(error.extensions?.code) in RETRY_LATER);
  if (!refusal) return undefined;
  const somethingDone = data ? Object.values(data).some((value) => value !== null) : false;
  if (somethingDone) return undefined;
  const answer = RETRY_LATER[String(refusal.extensions?.code)];
  if (!answer) return undefined;
  const seconds = refusal.extensions?.retryAfterSeconds;
  return {
    status: answer.status,
    retryAfter: String(typeof seconds === 'number' ? seconds : answer.retryAfterSeconds),
  };
}

/** retryLaterOf, for Apollo's answers. It holds no state, so every request shares it. */
export const retryLaterListener: GraphQLRequestListener<GatewayContext> = {
  async willSendResponse({ response }) {
    if (response.body.kind !== 'single') return;
    const retry = retryLaterOf(response.body.singleResult);
    if (!retry) return;
    response.http.status = retry.status;
    response.http.headers.set('retry-after', retry.retryAfter);
  },
};

/**
 * Answers a request whose route threw, whatever the route. A client that went away is not an error:
 * one `debug` line, no stack, nothing to answer. A dependency unreachable for now (the store) answers
 * 503 with Retry-After; its outage is logged where it is seen (the store's outage log), not per request.
 * Anything else is logged as unexpected (with its stack, on the request's log) and answers 500.
 * Never throws.
 */
export function answerRouteFailure(error: unknown, response: ServerResponse, log: Logger): void {
  if (error instanceof ClientGoneError) {
    log.debug('client left mid-request', { error: error.message });
    response.destroy();
    return;
  }
  const unavailable = isServiceUnavailable(error);
  if (!unavailable) log.error('unexpected error', errorFields(error));
  if (response.headersSent) {
    response.destroy();
    return;
  }
  if (unavailable) {
    sendJson(
      response,
      503,
      { error: 'temporarily_unavailable', error_description: 'Unavailable for now; retry shortly.' },
      retryAfterHeader(),
    );
    return;
  }
  sendJson(response, 500, { error: 'server_error', error_description: 'Unexpected error.' });
}
