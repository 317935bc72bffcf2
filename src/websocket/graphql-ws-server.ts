import {
  type DocumentNode,
  GraphQLError,
  type GraphQLSchema,
  NoSchemaIntrospectionCustomRule,
  specifiedRules,
  type ValidationRule,
} from 'graphql';
import { makeServer, type WebSocket as ProtocolSocket } from 'graphql-ws';
import type { Principal } from '../auth/principal.js';
import { FeedCloseCode } from '../delivery/close-codes.js';
import type { FeedEvent } from '../delivery/feed-stream.js';
import { ErrorCode, formatError, GatewayError } from '../errors.js';
import type { GatewayContext, Services, SharedPayload } from '../graphql/context.js';
import { createDocumentChecker } from '../graphql/document-checker.js';
import { errorFields, type Logger } from '../logger.js';
import { createSharedSubscribe } from './shared-execution.js';

/**
 * What the server needs of one socket, whatever the runtime: graphql-ws's own socket interface, plus
 * whether it is still open and a way to hear that it closed. One adapter per runtime provides it
 * (`use-ws.ts` for the `ws` library), as graphql-ws's `use/*` adapters do.
 */
export interface LiveSocket extends ProtocolSocket {
  /** Whether the socket can still carry messages. */
  readonly isOpen: () => boolean;
  /** Sends text that is already a whole graphql-ws message; resolves once the socket took it. */
  send(data: string): Promise<void>;
  /**
   * Sends a whole graphql-ws message without a promise (the bytes may be shared with other sockets and
   * are not changed); `written` is called once the socket took it or failed to, in the order of sends.
   * Only for an open socket.
   */
  sendBytes(data: Buffer, written: (error?: Error | null) => void): void;
  close(code: number, reason: string): void;
  /** Runs `listener` once, when the socket closes (at once if it is closed already). */
  onClose(listener: () => void): void;
}

export interface GraphqlWsServerOptions {
  readonly schema: GraphQLSchema;
  readonly services: Services;
  readonly authenticate: (authorization: unknown) => Promise<Principal>;
  readonly connectionInitWaitTimeoutMs: number;
  /** Open, authenticated sockets one principal (a user in an app, or an app) may hold on this process. */
  readonly maxConnectionsPerPrincipal: number;
  /** Operations at once on one socket. */
  readonly maxSubscriptionsPerConnection: number;
  /** Production: no introspection. (An unexpected error's detail is never sent, in any mode.) */
  readonly production: boolean;
  /** Rules added to GraphQL's own (the same ones Apollo applies over HTTP). */
  readonly validationRules: readonly ValidationRule[];
  /** Lexical tokens in one document (the parse option Apollo is given over HTTP). */
  readonly maxQueryTokens: number;
}

export interface GraphqlWsServer {
  /**
   * Serves one socket: its messages go to `handle`, and `closed` is to be called when it closes.
   * `logger` is the connection's log (its lines carry the connection id).
   */
  opened(socket: LiveSocket, logger: Logger): (code: number, reason: string) => Promise<void>;
}

// A type, not an interface: graphql-ws wants an index-signature-compatible record.
type ConnectionExtra = {
  readonly socket: LiveSocket;
  /** The connection's log: its lines carry the connection id. */
  readonly logger: Logger;
  principal?: Principal;
  /** Whether its token is still accepted; closes the socket (4403) when not. Set once authenticated. */
  tokenAccepted?: () => boolean;
};

// setTimeout's longest delay (about 24.8 days); a token that lives longer is checked again then.
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * Closes the socket with 4403 once its token would be refused over HTTP (`acceptedUntil`, by the gateway's
 * clock): the client reconnects with a fresh one. A timer waits for that instant; it reads the clock again
 * whenever it fires and whenever the socket sends a message (the returned check: false once closed), as
 * the clock may have moved meanwhile (a corrected system clock; a test's clock).
 */
function closeWhenExpired(socket: LiveSocket, acceptedUntil: Date, now: () => Date): () => boolean {
  let timer: NodeJS.Timeout | undefined;
  const check = (): boolean => {
    clearTimeout(timer);
    const left = acceptedUntil.getTime() - now().getTime();
    if (left <= 0) {
      socket.close(FeedCloseCode.Forbidden, 'Token expired');
      return false;
    }
    timer = setTimeout(check, Math.min(left, MAX_TIMER_MS));
    timer.unref();
    return true;
  };
  socket.onClose(() => clearTimeout(timer));
  check();
  return check;
}

const principalKey = (principal: Principal) =>
  principal.kind === 'app'
    ? `app ${principal.appId}`
    : `user ${principal.appId} ${principal.issuer} ${principal.subject}`;

/**
 * Replaces a subscribe message's query with the (equal) text of the document every socket shares, and
 * its variables with a copy whose strings do not keep the message's text alive.
 */
function retainOnlyWhatIsShared(payload: { query: string; variables?: unknown }, document: DocumentNode) {
  const text = document.loc?.source.body;
  if (text !== undefined) payload.query = text;
  if (payload.variables != null) payload.variables = JSON.parse(JSON.stringify(payload.variables));
}

// Distinct operation ids whose whole message is kept per shared payload: clients of one library often
// use the same ids (one frame for all their sockets); past this, ids are per client (e.g. UUIDs) and each
// socket's message is made for it alone rather than kept.
const SHARED_FRAME_IDS = 8;

/** The whole `next` message of operation `id` for a shared payload, made once per id while few differ. */
function sharedFrame(shared: SharedPayload, id: string, framePrefix: string): Buffer {
  if (shared.frames === undefined) shared.frames = new Map();
  const frames = shared.frames;
  let frame = frames.get(id);
  if (frame === undefined) {
    frame = Buffer.from(`${framePrefix}${shared.json}}`);
    if (frames.size < SHARED_FRAME_IDS) frames.set(id, frame);
  }
  return frame;
}

const isChangeEvent = (event: unknown): event is Extract<FeedEvent, { type: 'change' }> =>
  typeof event === 'object' && event !== null && (event as FeedEvent).type === 'change';

/**
 * The GraphQL over WebSocket server (graphql-ws `makeServer`), independent of the socket library: it
 * sees only {@link LiveSocket}. Authenticates `connection_init` (`connectionParams.authorization`, the
 * same "Bearer <token>" string as HTTP), bounds connections per principal and operations per socket,
 * closes a socket when its token expires, and formats every error with the same formatter as HTTP
 * (graphql-ws does not pass through Apollo's `formatError`).
 */
export function createGraphqlWsServer(options: GraphqlWsServerOptions): GraphqlWsServer {
  const rules = [
    ...specifiedRules,
    ...options.validationRules,
    ...(options.production ? [NoSchemaIntrospectionCustomRule] : []),
  ];
  const connections = new Map<string, number>();
  const format = (errors: readonly unknown[], log: Logger) =>
    errors.map((error) => {
      const unexpected = (root: unknown) => log.error('unexpected error', errorFields(root));
      const answer = formatError(error, unexpected, undefined, options.production);
      options.services.metrics.errorAnswered('ws', answer.extensions?.code);
      return answer;
    });
  // Apollo's validation rules (and `introspection: false`) do not reach graphql-ws: applied here.
  const checkDocument = createDocumentChecker({
    schema: options.schema,
    rules,
    maxTokens: options.maxQueryTokens,
  });
  const graphqlWs = makeServer<Record<string, unknown>, ConnectionExtra>({
    schema: options.schema,
    // Live changes are the same object for every device of a feed: execute each once per selection.
    subscribe: createSharedSubscribe((event) => (isChangeEvent(event) ? event.change : null)),
    connectionInitWaitTimeout: options.connectionInitWaitTimeoutMs,
    async onConnect(ctx) {
      const { socket } = ctx.extra;
      let principal: Principal;
      const authorization = ctx.connectionParams?.authorization;
      // graphql-ws keeps the connection_init payload for the socket's life: the token (about 0.6 KiB per
      // socket, and a secret) is not needed past this point.
      (ctx as { connectionParams?: unknown }).connectionParams = undefined;
      try {
        principal = await options.authenticate(authorization);
      } catch (error) {
        if (error instanceof GatewayError && error.code === ErrorCode.ServiceUnavailable) {
          socket.close(FeedCloseCode.TryAgainLater, 'Token issuer unreachable; retry later');
        }
        return false; // otherwise graphql-ws closes with 4403 Forbidden
      }
      // Gone while its token was checked: its close event has fired already, so count nothing.
      if (!socket.isOpen()) return false;
      const key = principalKey(principal);
      const open = connections.get(key) ?? 0;
      if (open >= options.maxConnectionsPerPrincipal) {
        socket.close(FeedCloseCode.TooManyConnections, 'Too many connections for this user');
        return false;
      }
      connections.set(key, open + 1);
      socket.onClose(() => {
        const left = (connections.get(key) ?? 1) - 1;
        if (left > 0) connections.set(key, left);
        else connections.delete(key);
      });
      ctx.extra.principal = principal;
      ctx.extra.tokenAccepted = closeWhenExpired(socket, principal.acceptedUntil, options.services.now);
      return true;
    },
    onSubscribe(ctx, _id, payload) {
      // graphql-ws has already reserved the new operation's id here, so it is counted: past the
      // limit, refuse it (the socket and its other operations stay).
      if (Object.keys(ctx.subscriptions).length > options.maxSubscriptionsPerConnection) {
        return [
          new GatewayError(
            ErrorCode.LimitExceeded,
            `At most ${options.maxSubscriptionsPerConnection} operations at once on one connection.`,
          ),
        ];
      }
      // The document is parsed and validated here rather than by graphql-ws, where one that does not
      // parse is thrown and closes the whole socket (4500): here it is this operation's `error` message
      // (GRAPHQL_PARSE_FAILED), and the socket and its other operations stay. So is anything unexpected
      // (masked and logged by onError's formatter).
      try {
        const checked = checkDocument(payload.query);
        if (checked.errors) return checked.errors;
        // graphql-ws keeps this message for the operation's life, and the strings JSON.parse made of it
        // (the query, the variables) can be slices that keep its whole text alive: swap in the text of
        // the shared document and variables of their own (both are read again only by the hooks here).
        retainOnlyWhatIsShared(payload, checked.document);
        return {
          schema: options.schema,
          document: checked.document,
          operationName: payload.operationName,
          variableValues: payload.variables,
        };
      } catch (error) {
        const originalError = error instanceof Error ? error : new Error(String(error));
        return [new GraphQLError('Unexpected error.', { originalError })];
      }
    },
    context(ctx, id): GatewayContext {
      const principal = ctx.extra.principal;
      if (!principal) throw new Error('Unreachable: a subscription before an authenticated connection_init.');
      const { socket } = ctx.extra;
      // The message graphql-ws would write (`{ id, type, payload }`, in that order), built from text.
      const framePrefix = `{"id":${JSON.stringify(id)},"type":"next","payload":`;
      return {
        principal,
        services: options.services,
        logger: ctx.extra.logger,
        connection: {
          close: (code: FeedCloseCode, reason: string) => socket.close(code, reason),
          sendNext: async (payloadJson) => {
            // Completed by the client meanwhile, or gone: graphql-ws would not send it either.
            if (!(id in ctx.subscriptions) || !socket.isOpen()) return;
            await socket.send(`${framePrefix}${payloadJson}}`);
          },
          sendSharedNext: (shared, written) => {
            if (!(id in ctx.subscriptions) || !socket.isOpen()) return false;
            socket.sendBytes(sharedFrame(shared, id, framePrefix), written);
            return true;
          },
        },
      };
    },
    onError: (ctx, _id, _payload, errors) => format(errors, ctx.extra.logger),
    onNext: (ctx, _id, _payload, _args, result) =>
      result.errors
        ? {
            errors: format(result.errors, ctx.extra.logger),
            ...(result.data === undefined ? {} : { data: result.data }),
            ...(result.extensions === undefined ? {} : { extensions: result.extensions }),
          }
        : undefined,
  });

  return {
    opened(socket, logger) {
      const extra: ConnectionExtra = { socket, logger };
      return graphqlWs.opened(
        {
          ...socket,
          // Nothing more is done for a socket whose token is no longer accepted (it is closed with
          // 4403), even if its timer is late.
          onMessage: (handle) =>
            socket.onMessage((data) =>
              extra.tokenAccepted?.() === false ? Promise.resolve() : handle(data),
            ),
        },
        extra,
      );
    },
  };
}
