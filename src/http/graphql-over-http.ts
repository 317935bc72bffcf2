import type { IncomingMessage, ServerResponse } from 'node:http';
import { type ApolloServer, HeaderMap } from '@apollo/server';
import { GraphQLError } from 'graphql';
import type { Principal } from '../auth/principal.js';
import { ErrorCode, GatewayError, isServiceUnavailable } from '../errors.js';
import type { GatewayContext, Services } from '../graphql/context.js';
import { errorFields, type Logger } from '../logger.js';
import type { KnownDocuments } from './known-documents.js';
import type { KnownOperations } from './known-operations.js';
import { BodyTooLargeError, readBody } from './read-body.js';
import { sendJson } from './respond.js';
import { retryAfterHeader } from './retry-later.js';

export interface GraphQLOverHttpOptions {
  readonly apollo: ApolloServer<GatewayContext>;
  /** Documents Apollo already accepted: sent to it by hash (see known-documents.ts). */
  readonly knownDocuments: KnownDocuments;
  /** Known documents sent as plain JSON POSTs, executed without Apollo's pipeline (see known-operations.ts). */
  readonly knownOperations: KnownOperations;
  readonly services: Services;
  readonly authenticate: (authorization: unknown) => Promise<Principal>;
  readonly maxBodyBytes: number;
}

/**
 * Serves GraphQL over HTTP with Apollo Server on Node's own http server: Apollo's documented
 * integration API (`executeHTTPGraphQLRequest`), without a web framework to carry along.
 */
export function createGraphQLOverHttp(options: GraphQLOverHttpOptions) {
  const { apollo, services } = options;

  /** A missing or bad token ends the request with 401 and the challenge RFC 6750 asks for. */
  async function context(request: IncomingMessage, logger: Logger): Promise<GatewayContext> {
    try {
      return { principal: await options.authenticate(request.headers.authorization), services, logger };
    } catch (error) {
      if (!(error instanceof GatewayError)) {
        // Logged here, with the request id; the client gets the masked error.
        logger.error('unexpected error', errorFields(error));
        throw new GraphQLError('Unexpected error.', {
          originalError: new GatewayError(ErrorCode.Internal, 'Unexpected error.'),
          extensions: { http: { status: 500 } },
        });
      }
      // 401 says how to authenticate (RFC 6750); 503 (the store or the issuer's keys unreachable) when to retry.
      const headers = new HeaderMap(
        Object.entries(isServiceUnavailable(error) ? retryAfterHeader() : { 'www-authenticate': 'Bearer' }),
      );
      throw new GraphQLError(error.message, {
        extensions: { code: error.code, http: { status: error.httpStatus, headers } },
      });
    }
  }

  const refuse = (response: ServerResponse, status: number, message: string, code: string, close = false) => {
    services.metrics.errorAnswered('http', code);
    sendJson(response, status, errorBody(message, code), close ? { connection: 'close' } : {});
  };

  return async function handle(
    request: IncomingMessage,
    response: ServerResponse,
    logger: Logger,
  ): Promise<void> {
    // `logger` is the request's own log (its lines carry the request id), started by the HTTP server.
    let body: unknown;
    if (request.method === 'POST') {
      let text: string;
      try {
        text = await readBody(request, options.maxBodyBytes);
      } catch (error) {
        if (error instanceof BodyTooLargeError) {
          return refuse(response, 413, error.message, 'PAYLOAD_TOO_LARGE', true);
        }
        throw error;
      }
      const contentType = request.headers['content-type'] ?? '';
      if (JSON_TYPE.test(contentType)) {
        try {
          body = JSON.parse(text);
        } catch {
          return refuse(response, 400, 'The request body is not valid JSON.', 'BAD_REQUEST');
        }
      } else {
        body = text; // Apollo refuses it with a clear message (and CSRF prevention relies on that)
      }
    }
    let contextOf = () => context(request, logger);
    const known = options.knownOperations.requestOf(request.method, request.headers, body);
    if (known) {
      // Authenticated first; a refusal there is Apollo's to answer, the same refusal (not made again).
      let contextValue: GatewayContext | undefined;
      try {
        contextValue = await contextOf();
      } catch (refusal) {
        contextOf = () => Promise.reject(refusal);
      }
      if (contextValue) {
        const answered = await options.knownOperations.answer(known, contextValue);
        if (answered) {
          options.services.metrics.graphqlOverHttp('known');
          // As Apollo's answers below are written (Content-Length, not chunked).
          for (const name in answered.headers) response.setHeader(name, answered.headers[name] as string);
          response.statusCode = answered.status;
          response.end(answered.body);
          return;
        }
        const authenticated = contextValue;
        contextOf = async () => authenticated;
      }
    }
    options.services.metrics.graphqlOverHttp('apollo');
    const headers = new HeaderMap();
    const incoming = request.headers;
    for (const key in incoming) {
      const value = incoming[key];
      if (value !== undefined) headers.set(key, Array.isArray(value) ? value.join(', ') : value);
    }
    const execute = (body: unknown) =>
      apollo.executeHTTPGraphQLRequest({
        httpGraphQLRequest: { method: request.method ?? 'GET', headers, search: searchOf(request.url), body },
        context: contextOf,
      });
    // A document Apollo already accepted goes by its hash (see known-documents.ts).
    const result = isRecord(body)
      ? await options.knownDocuments.withPersisted(body, execute)
      : await execute(body);
    for (const [key, value] of result.headers) response.setHeader(key, value);
    response.statusCode = result.status ?? 200;
    if (result.body.kind === 'complete') {
      response.end(result.body.string);
      return;
    }
    for await (const chunk of result.body.asyncIterator) response.write(chunk);
    response.end();
  };
}

const errorBody = (message: string, code: string) => ({ errors: [{ message, extensions: { code } }] });

const JSON_TYPE = /^application\/(graphql-response\+)?json\b/i;

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * The query string with its `?` (`""` when none), as `new URL(url).search` gives it, without parsing a
 * URL per request when there is no query string (every POST). A fragment is not part of it.
 */
function searchOf(url: string | undefined): string {
  const mark = url?.indexOf('?') ?? -1;
  if (mark < 0) return '';
  return new URL(url as string, 'http://localhost').search;
}
