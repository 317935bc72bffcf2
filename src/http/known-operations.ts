import type { IncomingHttpHeaders } from 'node:http';
import type { ApolloServerPlugin } from '@apollo/server';
import {
  type DocumentNode,
  type ExecutionArgs,
  type ExecutionResult,
  execute,
  GraphQLError,
  type GraphQLFormattedError,
  type GraphQLSchema,
  getOperationAST,
  Kind,
  type OperationDefinitionNode,
} from 'graphql';
import type { CompiledQuery } from 'graphql-jit';
import { ErrorCode } from '../errors.js';
import {
  createCompiledDocuments,
  executesAsGraphqlJs,
  listWhereObject,
} from '../graphql/compiled-documents.js';
import type { GatewayContext } from '../graphql/context.js';
import type { HttpErrorFormatter } from './http-error-format.js';
import type { KnownDocuments } from './known-documents.js';
import { retryLaterOf } from './retry-later.js';

/** A POST whose document Apollo already accepted, in the one shape this module answers by itself. */
export interface KnownOperationRequest {
  readonly document: DocumentNode;
  readonly operationName: string | undefined;
  readonly variables: Record<string, unknown> | undefined;
  /** The content type Apollo would answer with, for the request's `Accept`. */
  readonly contentType: string;
}

/** A whole HTTP answer. */
export interface KnownOperationAnswer {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

export interface KnownOperations {
  /**
   * The request as this module can answer it, or undefined: Apollo answers it (any shape but the plain
   * one, a document not known, Apollo not serving).
   */
  requestOf(
    method: string | undefined,
    headers: IncomingHttpHeaders,
    body: unknown,
  ): KnownOperationRequest | undefined;
  /**
   * Executes an authenticated known request and answers it as Apollo would, byte for byte; undefined,
   * having run nothing, when its operation must go to Apollo (none by that name, or a subscription).
   */
  answer(request: KnownOperationRequest, context: GatewayContext): Promise<KnownOperationAnswer | undefined>;
  /** Tells this module when Apollo serves (started, not stopping): only then does it answer. */
  readonly plugin: ApolloServerPlugin<GatewayContext>;
}

const JSON_TYPE = 'application/json; charset=utf-8';
const GRAPHQL_RESPONSE_TYPE = 'application/graphql-response+json; charset=utf-8';

/**
 * The `Accept` headers answered here, and the content type Apollo negotiates for each (its
 * chooseContentTypeForSingleResultResponse; test/http/known-operations.test.ts checks every one against
 * Apollo's own answer). Any other `Accept` goes to Apollo, which may also refuse it (406).
 */
const CONTENT_TYPE_BY_ACCEPT: ReadonlyMap<string | undefined, string> = new Map([
  [undefined, JSON_TYPE],
  ['', JSON_TYPE],
  ['*/*', JSON_TYPE],
  ['application/json', JSON_TYPE],
  ['application/json, */*', JSON_TYPE],
  ['application/graphql-response+json', GRAPHQL_RESPONSE_TYPE],
  ['application/graphql-response+json, application/json', GRAPHQL_RESPONSE_TYPE],
  ['application/graphql-response+json, application/json;q=0.9', GRAPHQL_RESPONSE_TYPE],
]);

/**
 * Known documents (known-documents.ts) executed without Apollo's request pipeline: a request that sends
 * the text of a document Apollo has already parsed and validated, as a plain JSON POST, is executed here
 * on that parsed document (compiled once with graphql-jit where it runs as graphql-js does:
 * graphql/compiled-documents.ts), and answered exactly as Apollo answers it (status, headers,
 * body, error codes, masking, logging, metrics, 429/503 with Retry-After). Apollo's pipeline for such a
 * request (its plugins' hooks, request context, persisted-query and document-store lookups, content
 * negotiation, result shaping: each a promise or an object per request) cost more than the execution.
 *
 * What is skipped could not change the answer: the body is the plain shape Apollo accepts (query text,
 * variables and operationName of the right types, no extensions), so none of Apollo's request checks can
 * refuse it; a JSON content type always passes Apollo's CSRF prevention; validation depends only on the
 * text, the schema and the rules, fixed for the life of the server; the gateway's own request hooks
 * remember documents (known already), refuse subscriptions (left to Apollo) and set 429/503 (done here).
 * Anything else (another `Accept`, GET, persisted queries by hash, an operation name the document lacks)
 * goes to Apollo as before.
 */
export function createKnownOperations(
  schema: GraphQLSchema,
  knownDocuments: KnownDocuments,
  formatHttpError: HttpErrorFormatter,
): KnownOperations {
  // Apollo refuses every operation while it stops; so does this module (and before it has started).
  let serving = false;
  const compiledOperation = createCompiledDocuments(executesAsGraphqlJs);
  const plugin: ApolloServerPlugin<GatewayContext> = {
    async serverWillStart() {
      serving = true;
      return {
        async serverWillStop() {
          serving = false;
        },
      };
    },
  };

  return {
    plugin,
    requestOf(method, headers, body) {
      if (!serving || method !== 'POST' || !isPlainObject(body)) return undefined;
      const contentType = CONTENT_TYPE_BY_ACCEPT.get(headers.accept);
      if (contentType === undefined) return undefined;
      const { query, variables, operationName, extensions } = body;
      if (typeof query !== 'string' || extensions !== undefined) return undefined;
      if (variables !== undefined && variables !== null && !isPlainObject(variables)) return undefined;
      if (operationName !== undefined && operationName !== null && typeof operationName !== 'string') {
        return undefined;
      }
      const document = knownDocuments.documentOf({ query });
      if (!document) return undefined;
      return {
        document,
        operationName: operationName ?? undefined,
        variables: variables ?? undefined,
        contentType,
      };
    },
    async answer(request, context) {
      // Checked again: Apollo may have begun to stop while the request was authenticated.
      if (!serving) return undefined;
      const operation = getOperationAST(request.document, request.operationName);
      if (!operation || operation.operation === 'subscription') return undefined;
      const args: ExecutionArgs = {
        schema,
        document: request.document,
        contextValue: context,
        variableValues: request.variables,
        operationName: request.operationName,
      };
      let result: ExecutionResult;
      try {
        result = await executeKnown(args, operation, compiledOperation(args));
      } catch (error) {
        // As Apollo answers an execution that throws (graphql-js does only for arguments it was never given;
        // graphql-jit also for a value whose property access throws: plain rows here, none do).
        return answerOf(request, context, { errors: [asGraphQLError(error)] }, true);
      }
      return answerOf(request, context, result, false);
    },
  };

  /**
   * Apollo's answer to `result` (requestPipeline's processGraphQLRequest, then runHttpQuery's); `thrown`:
   * the execution threw `result.errors` (Apollo's sendErrorResponse: 500 unless an error says otherwise).
   */
  function answerOf(
    request: KnownOperationRequest,
    context: GatewayContext,
    result: ExecutionResult,
    thrown: boolean,
  ): KnownOperationAnswer {
    const headers: Record<string, string> = {};
    let status: number | undefined;
    let errors: GraphQLFormattedError[] | undefined;
    if (result.errors) {
      errors = result.errors.map((error) => {
        // Apollo codes a variable's bad value BAD_USER_INPUT (its UserInputError).
        const coded =
          !thrown && isBadUserInput(error) && error.extensions?.code == null ? asUserInput(error) : error;
        // An error may say how the HTTP answer goes (`extensions.http`), as Apollo lets it.
        // `?.`: graphql-jit leaves `extensions` out of an error whose cause has none.
        const http = coded.extensions?.http;
        if (isHttpHead(http)) {
          if (http.status) status = http.status;
          for (const [name, value] of http.headers ?? []) headers[name] = value;
        }
        try {
          return formatHttpError(coded, context.logger, coded.extensions?.code ?? ErrorCode.Internal);
        } catch {
          return { message: 'Internal server error', extensions: { code: ErrorCode.Internal } };
        }
      });
      // Apollo: variables that did not coerce (nothing ran) are the client's mistake.
      if (!thrown && errors.length > 0 && result.data === undefined && !status) status = 400;
      if (thrown) status ??= 500;
    }
    const retry = retryLaterOf({ data: result.data, errors });
    if (retry) {
      status = retry.status;
      headers['retry-after'] = retry.retryAfter;
    }
    headers['content-type'] ??= request.contentType;
    const body = `${JSON.stringify({ errors, data: result.data, extensions: result.extensions })}\n`;
    return { status: status ?? 200, headers, body };
  }
}

/**
 * A known operation executed by its compiled query, or by graphql-js where there is none or where its
 * variables hold a list for an input object (graphql-jit would take `[]` for `{}`). Variables the
 * compiled query refuses (it answers errors and no `data`, before any resolver runs) are executed again by
 * graphql-js, whose answer is the one sent: its refusal with the messages Apollo answers and clients know
 * (or its result, where graphql-jit is the stricter). Once resolvers have run nothing runs again (a
 * mutation's effects are done), so their errors are graphql-jit's: the same message, locations, path and
 * extensions as graphql-js's for an error a resolver throws (kept as `originalError`, which the formatter
 * answers or masks); a value the schema cannot serialise is masked either way (its log line then names
 * graphql-jit's error, not the cause). The live selections (websocket/compiled-selections.ts) can run an
 * event again instead, and send graphql-js's errors.
 */
async function executeKnown(
  args: ExecutionArgs,
  operation: OperationDefinitionNode,
  query: CompiledQuery | null,
): Promise<ExecutionResult> {
  if (query === null || listWhereObject(args.schema, operation, args.variableValues)) return execute(args);
  const result = await query.query(undefined, args.contextValue, args.variableValues);
  return 'data' in result ? result : execute(args);
}

/** Apollo's isBadUserInputGraphQLError: a variable's value that did not coerce. */
function isBadUserInput(error: GraphQLError): boolean {
  const node = error.nodes?.length === 1 ? error.nodes[0] : undefined;
  if (node?.kind !== Kind.VARIABLE_DEFINITION) return false;
  const variable = `Variable "$${node.variable.name.value}"`;
  return (
    error.message.startsWith(`${variable} has invalid value`) ||
    error.message.startsWith(`${variable} got invalid value `) ||
    error.message.startsWith(`${variable} of required type `) ||
    error.message.startsWith(`${variable} of non-null type `)
  );
}

/** Apollo's UserInputError: the same error (message, where, cause) with code BAD_USER_INPUT. */
const asUserInput = (error: GraphQLError): GraphQLError =>
  new GraphQLError(error.message, {
    ...(error.nodes ? { nodes: error.nodes } : {}),
    originalError: error.originalError ?? error,
    extensions: { ...error.extensions, code: ErrorCode.BadUserInput },
  });

/** Apollo's ensureGraphQLError. */
const asGraphQLError = (error: unknown): GraphQLError =>
  error instanceof GraphQLError
    ? error
    : error instanceof Error
      ? new GraphQLError(error.message, { originalError: error })
      : new GraphQLError(`Unexpected error value: ${String(error)}`);

/** Apollo's isPartialHTTPGraphQLHead: an error's `extensions.http`. */
function isHttpHead(value: unknown): value is { status?: number; headers?: Map<string, string> } {
  if (typeof value !== 'object' || value === null) return false;
  return (
    (!('status' in value) || typeof value.status === 'number') &&
    (!('headers' in value) || value.headers instanceof Map)
  );
}

/** A JSON object, as Apollo's isStringRecord takes it (JSON.parse makes no Buffer). */
const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
