// The error class alone, not all of graphql: a CLI command that only reads the store starts without it.
// The same CommonJS module that `graphql` itself loads, so one GraphQLError class.
import { GraphQLError, type GraphQLFormattedError } from 'graphql/error/GraphQLError.js';

/** Stable error codes, sent as `extensions.code`. Clients branch on these, never on messages. */
export const ErrorCode = {
  Unauthenticated: 'UNAUTHENTICATED',
  Forbidden: 'FORBIDDEN',
  NotFound: 'NOT_FOUND',
  BadUserInput: 'BAD_USER_INPUT',
  /** The request cannot be served as sent (e.g. a subscription over HTTP: subscriptions go over WebSocket). */
  BadRequest: 'BAD_REQUEST',
  /** The document does not parse, or has more tokens than TIDINGS_MAX_QUERY_TOKENS. */
  ParseFailed: 'GRAPHQL_PARSE_FAILED',
  /** The document does not validate against the schema, or is over an operation limit. */
  ValidationFailed: 'GRAPHQL_VALIDATION_FAILED',
  Conflict: 'CONFLICT',
  RateLimited: 'RATE_LIMITED',
  /** A count limit (e.g. operations on one connection) is reached; nothing was done. */
  LimitExceeded: 'LIMIT_EXCEEDED',
  /** The store is unreachable for now; the operation may not have completed: retry later. */
  ServiceUnavailable: 'SERVICE_UNAVAILABLE',
  Internal: 'INTERNAL_SERVER_ERROR',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** The HTTP status each code maps to when an error ends a whole HTTP request (not a single field). */
const httpStatusOf: Record<ErrorCode, number> = {
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  BAD_USER_INPUT: 400,
  BAD_REQUEST: 400,
  GRAPHQL_PARSE_FAILED: 400,
  GRAPHQL_VALIDATION_FAILED: 400,
  CONFLICT: 409,
  RATE_LIMITED: 429,
  LIMIT_EXCEEDED: 429,
  SERVICE_UNAVAILABLE: 503,
  INTERNAL_SERVER_ERROR: 500,
};

export interface GatewayErrorOptions {
  /** Extra, safe-to-show extensions (e.g. `field` for BAD_USER_INPUT). */
  readonly details?: Readonly<Record<string, string | number>>;
  readonly cause?: unknown;
}

/**
 * The one error type the gateway throws on purpose. Its message and details reach the client;
 * anything else thrown is masked by {@link formatError}.
 */
export class GatewayError extends GraphQLError {
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string, options: GatewayErrorOptions = {}) {
    super(message, {
      extensions: { code, ...options.details },
      ...(options.cause instanceof Error ? { originalError: options.cause } : {}),
    });
    this.name = 'GatewayError';
    this.code = code;
  }

  get httpStatus(): number {
    return httpStatusOf[this.code];
  }
}

/** Whether `error` says a dependency (the store, an issuer's keys) cannot be reached now: retry later. */
export const isServiceUnavailable = (error: unknown): error is GatewayError =>
  error instanceof GatewayError && error.code === ErrorCode.ServiceUnavailable;

export const badInput = (field: string, message: string): GatewayError =>
  new GatewayError(ErrorCode.BadUserInput, message, { details: { field } });

export const notFound = (what: string): GatewayError =>
  new GatewayError(ErrorCode.NotFound, `${what} not found.`);

export type ErrorLogger = (error: unknown) => void;

/**
 * Turns anything thrown while serving a request into what the client may see. Used by HTTP (Apollo's
 * `formatError`) and by WebSocket (graphql-ws `onNext`/`onError`) alike. GatewayErrors and GraphQL's
 * own parse/validation errors pass through; anything else is logged and masked as
 * INTERNAL_SERVER_ERROR, so no internal detail (SQL, paths, stacks) ever leaves the process.
 * It does not throw.
 */
export function formatError(
  error: unknown,
  log: ErrorLogger,
  knownCode?: unknown,
  hideSchemaDetails = false,
): GraphQLFormattedError {
  const located = error instanceof GraphQLError ? error : undefined;
  const where = {
    ...(located?.locations ? { locations: located.locations } : {}),
    ...(located?.path ? { path: located.path } : {}),
  };
  const { root, code } = rootCause(error);
  if (root instanceof GatewayError) {
    return { message: root.message, ...where, extensions: { ...root.extensions } };
  }
  // A GraphQL error raised while executing (it has a path: e.g. a value the schema cannot represent)
  // is about the server's data, not the request: masked like any other unexpected error.
  if (root instanceof GraphQLError && located?.path === undefined && root.path === undefined) {
    // GraphQL's own errors (syntax, validation, variable coercion): their messages describe the
    // request, not the server. The outermost message says where (e.g. which variable field). Keep only
    // their code: the one met on the way or given by Apollo, or the one Apollo would give, so HTTP and
    // WebSocket agree.
    const described = located?.message ?? root.message;
    // Production: no "Did you mean …?" (field, argument, type and enum names a client did not know).
    const message = hideSchemaDetails ? described.replace(/ ?Did you mean(.+?)\?$/, '') : described;
    return { message, ...where, extensions: { code: graphQLErrorCode(message, code ?? knownCode) } };
  }
  try {
    log(root);
  } catch {
    // Logging must not turn a masked error into an unmasked one.
  }
  return { message: 'Unexpected error.', ...where, extensions: { code: ErrorCode.Internal } };
}

function graphQLErrorCode(message: string, knownCode: unknown): string {
  if (typeof knownCode === 'string' && knownCode !== ErrorCode.Internal) return knownCode;
  // Variable coercion errors, as Apollo Server classifies them.
  return message.startsWith('Variable "$') ? ErrorCode.BadUserInput : ErrorCode.ValidationFailed;
}

/**
 * The error a GraphQLError wraps, down to the first one we (or graphql-js itself) created, and the
 * first code met on the way (Apollo wraps GraphQL's variable errors in one that carries BAD_USER_INPUT).
 */
function rootCause(error: unknown): { root: unknown; code: string | undefined } {
  let current = error;
  let code: string | undefined;
  while (current instanceof GraphQLError && !(current instanceof GatewayError)) {
    // `?.`: an error made by another executor (graphql-jit) may have no extensions at all.
    if (code === undefined && typeof current.extensions?.code === 'string') code = current.extensions.code;
    if (current.originalError === undefined || current.originalError === null) break;
    current = current.originalError;
  }
  return { root: current, code };
}

/** Thrown for a value that a switch should never see; keeps unions exhaustive at compile time. */
export class UnreachableCaseError extends Error {
  constructor(value: never) {
    super(`Unreachable case: ${String(value)}`);
  }
}
