import type { Server as HttpServer, IncomingMessage } from 'node:http';
import {
  GraphQLError,
  type GraphQLSchema,
  NoSchemaIntrospectionCustomRule,
  specifiedRules,
  type ValidationRule,
} from 'graphql';
import { CloseCode, handleProtocols, MessageType, makeServer, parseMessage } from 'graphql-ws';
import { type WebSocket, WebSocketServer } from 'ws';
import type { Principal } from '../auth/principal.js';
import { ErrorCode, type ErrorLogger, formatError, GatewayError } from '../errors.js';
import type { GatewayContext, Services } from '../graphql/context.js';
import { createDocumentChecker } from '../graphql/document-checker.js';
import { requestIdOf } from '../http/request-log.js';
import { errorFields, type Logger } from '../logger.js';
import { FeedCloseCode } from './close-codes.js';
import type { FeedEvent } from './feed-stream.js';
import { createSharedSubscribe } from './shared-execution.js';

// setTimeout's longest delay (about 24.8 days); a token that lives longer is checked again then.
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * Closes the socket with 4403 once its token would be refused over HTTP (`acceptedUntil`, by the gateway's
 * clock): the client reconnects with a fresh one. A timer waits for that instant; it reads the clock again
 * whenever it fires and whenever the socket sends a message (the returned check: false once closed), as
 * the clock may have moved meanwhile (a corrected system clock; a test's clock).
 */
function closeWhenExpired(socket: WebSocket, acceptedUntil: Date, now: () => Date): () => boolean {
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
  socket.once('close', () => clearTimeout(timer));
  check();
  return check;
}

const principalKey = (principal: Principal) =>
  principal.kind === 'app'
    ? `app ${principal.appId}`
    : `user ${principal.appId} ${principal.issuer} ${principal.subject}`;

const isChangeEvent = (event: unknown): event is Extract<FeedEvent, { type: 'change' }> =>
  typeof event === 'object' && event !== null && (event as FeedEvent).type === 'change';

export interface WebSocketServerOptions {
  readonly httpServer: HttpServer;
  readonly path: string;
  readonly schema: GraphQLSchema;
  readonly services: Services;
  readonly authenticate: (authorization: unknown) => Promise<Principal>;
  readonly log: ErrorLogger;
  /** Largest incoming message in bytes. */
  readonly maxPayloadBytes: number;
  readonly connectionInitWaitTimeoutMs: number;
  /** How often every socket is pinged; one that has not answered the previous ping is cut. */
  readonly keepAliveMs: number;
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

// A type, not an interface: graphql-ws wants an index-signature-compatible record.
type ConnectionExtra = {
  readonly socket: WebSocket;
  readonly request: IncomingMessage;
  /** The connection's log: its lines carry the connection id. */
  readonly logger: Logger;
  principal?: Principal;
  /** Whether its token is still accepted; closes the socket (4403) when not. Set once authenticated. */
  tokenAccepted?: () => boolean;
};

/** Messages only a server sends: from a client they are invalid messages (4400), not server errors. */
const SERVER_ONLY_TYPES: ReadonlySet<string> = new Set([
  MessageType.ConnectionAck,
  MessageType.Next,
  MessageType.Error,
]);

/** Whether `data` is a well-formed message of a type only the server may send. */
function isServerOnlyMessage(data: string): boolean {
  try {
    return SERVER_ONLY_TYPES.has(parseMessage(data).type);
  } catch {
    return false;
  }
}

/**
 * graphql-ws over `ws`, on the HTTP server's port and GraphQL path. Authenticates `connection_init`
 * (`connectionParams.authorization`, the same "Bearer <token>" string as HTTP) and formats every error
 * with the same formatter as HTTP: graphql-ws does not pass through Apollo's `formatError`.
 */
export function createWebSocketServer(options: WebSocketServerOptions) {
  const rules = [
    ...specifiedRules,
    ...options.validationRules,
    ...(options.production ? [NoSchemaIntrospectionCustomRule] : []),
  ];
  const connections = new Map<string, number>();
  const wss = new WebSocketServer({
    server: options.httpServer,
    path: options.path,
    maxPayload: options.maxPayloadBytes,
  });
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
      let principal: Principal;
      try {
        principal = await options.authenticate(ctx.connectionParams?.authorization);
      } catch (error) {
        if (error instanceof GatewayError && error.code === ErrorCode.ServiceUnavailable) {
          ctx.extra.socket.close(FeedCloseCode.TryAgainLater, 'Token issuer unreachable; retry later');
        }
        return false; // otherwise graphql-ws closes with 4403 Forbidden
      }
      const { socket } = ctx.extra;
      // Gone while its token was checked: its close event has fired already, so count nothing.
      if (socket.readyState !== socket.OPEN) return false;
      const key = principalKey(principal);
      const open = connections.get(key) ?? 0;
      if (open >= options.maxConnectionsPerPrincipal) {
        socket.close(FeedCloseCode.TooManyConnections, 'Too many connections for this user');
        return false;
      }
      connections.set(key, open + 1);
      socket.once('close', () => {
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
          sendNext: (payloadJson) =>
            new Promise<void>((resolve, reject) => {
              // Completed by the client meanwhile, or gone: graphql-ws would not send it either.
              if (!(id in ctx.subscriptions) || socket.readyState !== socket.OPEN) return resolve();
              socket.send(`${framePrefix}${payloadJson}}`, (error) => (error ? reject(error) : resolve()));
            }),
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

  // graphql-ws's `ws` binding (graphql-ws/use/ws), with what it lacks for clients that break the
  // protocol: a binary frame is not a message (4400, where the binding would parse it as text), a
  // message of a server-only type is an invalid message (4400, where the binding closes with 4500 and
  // reports a bug of its own), and frame-level violations `ws` has already closed the socket for
  // (1009 too big, 1008 too many fragments, 1007 bad UTF-8, 1002) are the client's doing: logged as
  // information, never on the console as an internal error.
  wss.options.handleProtocols = handleProtocols;
  // Keep-alive: one timer for every socket (a timer and closures per socket cost memory on idle
  // devices). Each round pings every open socket and cuts the ones that did not answer the last ping,
  // so a peer that vanished without closing is gone within two rounds.
  const awaitingPong = new Set<WebSocket>();
  function answeredPing(this: WebSocket) {
    awaitingPong.delete(this);
  }
  const keepAlive = setInterval(() => {
    for (const socket of wss.clients) {
      if (socket.readyState !== socket.OPEN) continue;
      if (awaitingPong.has(socket)) {
        socket.terminate();
        continue;
      }
      awaitingPong.add(socket);
      socket.ping();
    }
  }, options.keepAliveMs);
  keepAlive.unref();
  wss.on('error', (error) => options.log(error));
  wss.on('connection', (socket, request) => {
    const logger = options.services.logger.child({ connectionId: requestIdOf(request) });
    socket.on('error', (error: Error & { code?: string }) =>
      logger.info('websocket closed for a protocol violation', {
        reason: error.message,
        code: error.code,
      }),
    );
    socket.on('pong', answeredPing);
    const extra: ConnectionExtra = { socket, request, logger };
    const closed = graphqlWs.opened(
      {
        protocol: socket.protocol,
        send: (data) =>
          new Promise<void>((resolve, reject) => {
            if (socket.readyState !== socket.OPEN) return resolve();
            socket.send(data, (error) => (error ? reject(error) : resolve()));
          }),
        close: (code, reason) => socket.close(code, reason),
        onMessage: (handle) =>
          socket.on('message', async (data, isBinary) => {
            if (isBinary) {
              socket.close(CloseCode.BadRequest, 'Binary messages are not supported');
              return;
            }
            // Nothing more is done for a socket whose token is no longer accepted (it is closed with 4403),
            // even if its timer is late.
            if (extra.tokenAccepted?.() === false) return;
            const text = String(data);
            try {
              await handle(text);
            } catch (error) {
              // graphql-ws throws on a well-formed message it does not handle: a server-only type.
              if (isServerOnlyMessage(text)) {
                socket.close(CloseCode.BadRequest, 'Invalid message received');
                return;
              }
              logger.error('unexpected error', errorFields(error));
              socket.close(CloseCode.InternalServerError, 'Internal server error');
            }
          }),
      },
      extra,
    );
    socket.once('close', (code, reason) => {
      logger.debug('websocket closed', { code });
      awaitingPong.delete(socket);
      void closed(code, String(reason));
    });
  });

  return {
    /** Sockets open now (scraped by /metrics). */
    openSockets: (): number => wss.clients.size,
    /** Closes every socket with 1001 (going away) so clients reconnect elsewhere, then stops. */
    close: async (): Promise<void> => {
      clearInterval(keepAlive);
      for (const client of wss.clients) client.close(FeedCloseCode.GoingAway, 'Going away');
      wss.removeAllListeners();
      await new Promise<void>((resolve, reject) => wss.close((error) => (error ? reject(error) : resolve())));
    },
  };
}
