import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ApolloServer } from '@apollo/server';
import type { GraphQLFormattedError } from 'graphql';
import type { Principal } from '../auth/principal.js';
import { ErrorCode, formatError } from '../errors.js';
import type { GatewayContext, Services } from '../graphql/context.js';
import { errorFields, type Logger } from '../logger.js';
import {
  type CreatedNotification,
  GRAPH_CREATE_NOTIFICATION,
  type Json,
  type JsonObject,
  MAX_BODY_NESTING,
  nestedDeeperThan,
  toCreateNotificationInput,
  toGraphNotification,
} from './graph-notification.js';
import type { KnownDocuments } from './known-documents.js';
import {
  BadEncodingError,
  type BodyEncoding,
  BodyTooLargeError,
  ClientGoneError,
  readBody,
} from './read-body.js';
import { sendJson } from './respond.js';
import { retryAfterHeader } from './retry-later.js';

const BODY_ENCODINGS: Readonly<Record<string, BodyEncoding>> = {
  gzip: 'gzip',
  'x-gzip': 'gzip',
  deflate: 'deflate',
};

export interface GraphRestOptions {
  readonly apollo: ApolloServer<GatewayContext>;
  /** Documents Apollo already accepted: sent to it by hash (see known-documents.ts). */
  readonly knownDocuments: KnownDocuments;
  readonly services: Services;
  readonly authenticate: (authorization: unknown) => Promise<Principal>;
  readonly maxBodyBytes: number;
}

export interface GraphRest {
  /** Whether `path` is the Graph notifications collection (`/v1.0` or `/beta`, trailing slash or not). */
  serves(path: string): boolean;
  /** `log` is the request's own (its lines carry the request id). */
  handle(request: IncomingMessage, response: ServerResponse, log: Logger): Promise<void>;
}

const COLLECTION = /^\/(v1\.0|beta)\/me\/notifications\/?$/;
const JSON_TYPE = /^application\/json\s*(;|$)/i;

/** How each stable code answers on this route: Graph's status and its documented `error.code` names. */
const GRAPH_ERROR: Readonly<Record<string, { status: number; code: string }>> = {
  [ErrorCode.Unauthenticated]: { status: 401, code: 'unauthenticated' },
  [ErrorCode.Forbidden]: { status: 403, code: 'accessDenied' },
  [ErrorCode.NotFound]: { status: 404, code: 'itemNotFound' },
  [ErrorCode.BadUserInput]: { status: 400, code: 'invalidRequest' },
  [ErrorCode.Conflict]: { status: 409, code: 'nameAlreadyExists' },
  [ErrorCode.RateLimited]: { status: 429, code: 'activityLimitReached' },
  [ErrorCode.LimitExceeded]: { status: 429, code: 'quotaLimitReached' },
  [ErrorCode.ServiceUnavailable]: { status: 503, code: 'serviceNotAvailable' },
  // This route's own refusals, before anything reaches GraphQL.
  BAD_REQUEST: { status: 400, code: 'invalidRequest' },
  METHOD_NOT_ALLOWED: { status: 405, code: 'notSupported' },
  PAYLOAD_TOO_LARGE: { status: 413, code: 'invalidRequest' },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, code: 'notSupported' },
};
const UNEXPECTED = { status: 500, code: 'generalException' };

/**
 * `POST /v1.0/me/notifications` (and `/beta/…`) as Microsoft Graph served it: an app service written
 * against Graph's retired user-notifications API works by changing its base URL. The post runs the very
 * createNotification mutation GraphQL clients send (same validation, limits, rate budget, store and
 * fan-out); this module only translates HTTP and Graph's JSON, and answers errors in Graph's shape
 * `{ error: { code, message, innerError: { code: <our stable code>, field?, date } } }`.
 */
export function createGraphRest(options: GraphRestOptions): GraphRest {
  const { apollo, services } = options;
  /** Logs an unexpected error on the request's own log, so that its line carries the request id. */
  const unexpectedIn = (log: Logger) => (error: unknown) => log.error('unexpected error', errorFields(error));

  async function post(
    request: IncomingMessage,
    response: ServerResponse,
    prefix: string,
    log: Logger,
  ): Promise<void> {
    let principal: Principal;
    try {
      principal = await options.authenticate(request.headers.authorization);
    } catch (error) {
      return sendGraphError(response, formatError(error, unexpectedIn(log)));
    }
    const unsid = headerValue(request.headers['x-uns-id']);
    if (!unsid) return refuse(response, 'BAD_REQUEST', 'The X-UNS-ID header (a UNSID) is required.');
    // Graph took gzip and deflate request bodies (and answered 415 to any other encoding).
    const encodingName = headerValue(request.headers['content-encoding'])?.trim().toLowerCase();
    const encoding = encodingName ? BODY_ENCODINGS[encodingName] : undefined;
    if (encodingName && encodingName !== 'identity' && !encoding) {
      return refuse(
        response,
        'UNSUPPORTED_MEDIA_TYPE',
        `Content-Encoding ${JSON.stringify(encodingName)} is not supported: send gzip, deflate or none.`,
      );
    }
    if (!JSON_TYPE.test(request.headers['content-type'] ?? '')) {
      return refuse(response, 'UNSUPPORTED_MEDIA_TYPE', 'The request body must be application/json.');
    }
    let body: unknown;
    try {
      body = JSON.parse(await readBody(request, options.maxBodyBytes, encoding));
    } catch (error) {
      if (error instanceof BodyTooLargeError) {
        return refuse(response, 'PAYLOAD_TOO_LARGE', error.message, { connection: 'close' });
      }
      if (error instanceof BadEncodingError) return refuse(response, 'BAD_REQUEST', error.message);
      if (error instanceof SyntaxError) return refuse(response, 'BAD_REQUEST', 'The body is not valid JSON.');
      throw error;
    }
    if (Array.isArray(body)) {
      return refuse(response, 'BAD_REQUEST', 'The body is an array: post one notification per request.');
    }
    if (body === null || typeof body !== 'object') {
      return refuse(response, 'BAD_REQUEST', 'The body must be a JSON object: one notification.');
    }
    if (nestedDeeperThan(body as Json, MAX_BODY_NESTING)) {
      return refuse(response, 'BAD_REQUEST', `The body is nested deeper than ${MAX_BODY_NESTING} levels.`);
    }
    // Graph named the user by X-UNS-ID only; GraphQL's own ways to name them are not part of this route.
    if ('deviceSubscriptionId' in body || 'userId' in body) {
      return refuse(response, 'BAD_REQUEST', 'Name the device subscription with the X-UNS-ID header.');
    }
    // GraphQL lets an app token leave targetHostName out; Graph required it, and this route keeps Graph's shape.
    const { targetHostName } = body as JsonObject;
    if (targetHostName === undefined || targetHostName === null) {
      return sendGraphError(response, {
        message: 'targetHostName is required.',
        extensions: { code: ErrorCode.BadUserInput, field: 'targetHostName' },
      });
    }

    const result = await options.knownDocuments.withPersisted(
      {
        query: GRAPH_CREATE_NOTIFICATION,
        variables: { input: toCreateNotificationInput(body as JsonObject, unsid) },
      },
      (operation) =>
        apollo.executeOperation<{ createNotification: { notification: CreatedNotification } }>(operation, {
          contextValue: { principal, services, logger: log },
        }),
    );
    if (result.body.kind !== 'single') throw new Error('createNotification answered incrementally.');
    const { data, errors } = result.body.singleResult;
    const created = data?.createNotification?.notification;
    if (!created || errors?.length) {
      return sendGraphError(
        response,
        errors?.[0] ?? formatError(new Error('createNotification answered nothing'), unexpectedIn(log)),
      );
    }
    sendJson(response, 201, toGraphNotification(created), {
      location: `${prefix}/me/notifications/${encodeURIComponent(created.id)}`,
    });
  }

  return {
    serves: (path) => COLLECTION.test(path),
    async handle(request, response, log) {
      const path = new URL(request.url ?? '/', 'http://localhost').pathname;
      const prefix = `/${COLLECTION.exec(path)?.[1] ?? 'v1.0'}`;
      if (request.method !== 'POST') {
        return refuse(response, 'METHOD_NOT_ALLOWED', `${request.method} is not supported here; use POST.`, {
          allow: 'POST',
        });
      }
      try {
        await post(request, response, prefix, log);
      } catch (error) {
        // A client that left is no error of ours: the gateway notes it (debug) and answers nothing.
        if (response.headersSent || error instanceof ClientGoneError) throw error;
        sendGraphError(response, formatError(error, unexpectedIn(log)));
      }
    },
  };
}

function refuse(
  response: ServerResponse,
  code: keyof typeof GRAPH_ERROR,
  message: string,
  headers: Record<string, string> = {},
): void {
  sendGraphError(response, { message, extensions: { code } }, headers);
}

/** Answers one formatted gateway error (see formatError) with Graph's status and error body. */
function sendGraphError(
  response: ServerResponse,
  error: GraphQLFormattedError,
  headers: Record<string, string> = {},
): void {
  const code = String(error.extensions?.code ?? ErrorCode.Internal);
  const { status, code: graphCode } = GRAPH_ERROR[code] ?? UNEXPECTED;
  const { field, retryAfterSeconds } = error.extensions ?? {};
  const reason = variableProblem(error.message);
  const extra: Record<string, string> = {};
  if (status === 401) extra['www-authenticate'] = 'Bearer'; // RFC 6750, as on /graphql
  if (status === 429) extra['retry-after'] = String(retryAfterSeconds ?? 1);
  if (status === 503) Object.assign(extra, retryAfterHeader(retryAfterSeconds));
  const fieldName = typeof field === 'string' ? field : reason?.field;
  sendJson(
    response,
    status,
    {
      error: {
        code: graphCode,
        message: reason?.message ?? error.message,
        innerError: {
          code,
          ...(fieldName ? { field: fieldName } : {}),
          date: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
        },
      },
    },
    { ...headers, ...extra },
  );
}

/**
 * A GraphQL variable coercion message ("Variable "$input" got invalid value … at "input.priority"; …")
 * told in this route's terms: the field, and the reason without GraphQL's variable name.
 */
function variableProblem(message: string): { field?: string; message: string } | undefined {
  const match = /^Variable "\$input" got invalid value [\s\S]*?(?: at "input\.([^"]+)")?; ([\s\S]*)$/.exec(
    message,
  );
  if (!match?.[2]) return undefined;
  return match[1] ? { field: match[1], message: `${match[1]}: ${match[2]}` } : { message: match[2] };
}

function headerValue(value: string | string[] | undefined): string | undefined {
  const text = (Array.isArray(value) ? value[0] : value)?.trim();
  return text ? text : undefined;
}
