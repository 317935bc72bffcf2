import { performance } from 'node:perf_hooks';
import {
  type DocumentNode,
  GraphQLError,
  type GraphQLSchema,
  NoSchemaIntrospectionCustomRule,
  specifiedRules,
  type ValidationRule,
} from 'graphql';
import { CloseCode, type Context, type WebSocket as GraphqlWsSocket, makeServer } from 'graphql-ws';
import type { Principal } from '../auth/principal.js';
import { FeedCloseCode } from '../delivery/close-codes.js';
import type { FeedEvent } from '../delivery/feed-stream.js';
import { ErrorCode, formatError, GatewayError } from '../errors.js';
import type { GatewayContext, Services, SharedPayload, SubscriptionConnection } from '../graphql/context.js';
import { createDocumentChecker } from '../graphql/document-checker.js';
import { errorFields, type Logger } from '../logger.js';
import { createExpirySweep } from './expiry-sweep.js';
import { createSharedSubscribe } from './shared-execution.js';

/**
 * What the server needs of one socket, whatever the runtime: graphql-ws's own socket interface, except
 * that messages come parsed, plus whether it is still open. One adapter per runtime provides it
 * (`use-ws.ts` for the `ws` library), as graphql-ws's `use/*` adapters do.
 */
export interface LiveSocket {
  readonly protocol: string;
  /** Whether the socket can still carry messages. */
  isOpen(): boolean;
  /** Sends text that is already a whole graphql-ws message; resolves once the socket took it. */
  send(data: string): Promise<void>;
  /**
   * Sends a whole graphql-ws message without a promise (the bytes may be shared with other sockets and
   * are not changed); `written` is called once the socket took it or failed to, in the order of sends.
   * Only for an open socket.
   */
  sendBytes(data: Buffer, written: (error?: Error | null) => void): void;
  close(code: number, reason: string): void;
  /**
   * Registers the handler of every text message, given as JSON.parse made it (or the text itself when it
   * is not JSON: graphql-ws answers that). graphql-ws's `parseMessage` takes a parsed message as well as
   * text, and its handler of a subscribe message lasts as long as the subscription: given text, it kept
   * the whole frame's text (≈ 0.5 KiB) per idle subscription.
   */
  onMessage(handle: (message: unknown) => Promise<void>): void;
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
  /** When it opened, by the monotonic clock (performance.now()). */
  readonly openedAt: number;
  /**
   * Set once authenticated (and counted against its principal's connections). Present from the start,
   * undefined, so that setting it does not give every socket's object a separate property array.
   */
  principal: Principal | undefined;
};

// How often open sockets' tokens are checked against the clock (one timer for every socket): a socket
// whose token runs out is closed at most this late, and never used past its token (see `opened`).
const EXPIRY_SWEEP_MS = 1000;
// How late past the connection_init timeout a silent socket may be closed (one timer for all of them).
const INIT_SWEEP_MS = 100;

/**
 * The socket as graphql-ws sees it: it hands graphql-ws parsed messages (see LiveSocket.onMessage), and
 * nothing more is done for a socket whose token is no longer accepted (it is closed with 4403 at once,
 * before the sweep gets to it). A class: its methods cost nothing per socket.
 */
class ProtocolSocket implements GraphqlWsSocket {
  constructor(
    private readonly extra: ConnectionExtra,
    private readonly tokenAccepted: (extra: ConnectionExtra) => boolean,
  ) {}

  get protocol() {
    return this.extra.socket.protocol;
  }

  send(data: string) {
    return this.extra.socket.send(data);
  }

  close(code: number, reason: string) {
    this.extra.socket.close(code, reason);
  }

  onMessage(handle: (data: string) => Promise<void>) {
    // graphql-ws's parseMessage takes the parsed message as it takes text (typed as text only).
    const handleParsed = handle as (message: unknown) => Promise<void>;
    this.extra.socket.onMessage((message) =>
      this.tokenAccepted(this.extra) ? handleParsed(message) : Promise.resolve(),
    );
  }
}

/**
 * The text of a `next` message up to its payload (`{ id, type, payload }`, in the order graphql-ws writes
 * them), made once per operation id rather than kept per subscription: ids are the client's counter, the
 * same few on every socket.
 */
const framePrefixes = new Map<string, string>();
const FRAME_PREFIXES_KEPT = 256;
function framePrefixOf(id: string): string {
  let prefix = framePrefixes.get(id);
  if (prefix === undefined) {
    prefix = `{"id":${JSON.stringify(id)},"type":"next","payload":`;
    if (framePrefixes.size < FRAME_PREFIXES_KEPT) framePrefixes.set(id, prefix);
  }
  return prefix;
}

/** What one subscription may do with its socket (GatewayContext.connection); a class, for the same reason. */
class OperationConnection implements SubscriptionConnection {
  constructor(
    private readonly ctx: Context<Record<string, unknown>, ConnectionExtra>,
    private readonly id: string,
  ) {}

  close(code: FeedCloseCode, reason: string) {
    this.ctx.extra.socket.close(code, reason);
  }

  // Completed by the client meanwhile, or its socket closing (a close sent or received: `ws` says CLOSING
  // until the peer answers, up to 30 s, and graphql-ws hears of it only then).
  isLive() {
    return this.id in this.ctx.subscriptions && this.ctx.extra.socket.isOpen();
  }

  async sendNext(payloadJson: string) {
    if (!this.isLive()) return false;
    await this.ctx.extra.socket.send(`${framePrefixOf(this.id)}${payloadJson}}`);
    return true;
  }

  sendSharedNext(shared: SharedPayload, written: (error?: Error | null) => void) {
    if (!this.isLive()) return false;
    this.ctx.extra.socket.sendBytes(sharedFrame(shared, this.id), written);
    return true;
  }
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
function sharedFrame(shared: SharedPayload, id: string): Buffer {
  if (shared.frames === undefined) shared.frames = new Map();
  const frames = shared.frames;
  let frame = frames.get(id);
  if (frame === undefined) {
    frame = Buffer.from(`${framePrefixOf(id)}${shared.json}}`);
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
  const { now } = options.services;
  // Every authenticated socket, until its token would be refused over HTTP (`acceptedUntilMs`, by the
  // gateway's clock): then it is closed with 4403, and the client reconnects with a fresh token.
  const expiry = createExpirySweep<ConnectionExtra>({
    now,
    intervalMs: EXPIRY_SWEEP_MS,
    expire: (extra) => extra.socket.close(FeedCloseCode.Forbidden, 'Token expired'),
  });
  /** Whether an authenticated socket's token is still accepted; closes it (4403) when not. */
  const tokenAccepted = (extra: ConnectionExtra): boolean => {
    const { principal } = extra;
    if (!principal || now().getTime() < principal.acceptedUntilMs) return true;
    extra.socket.close(FeedCloseCode.Forbidden, 'Token expired');
    return false;
  };
  // Sockets that have not sent connection_init yet, closed with 4408 (graphql-ws's code and reason) once
  // the timeout passes, by the monotonic clock, at most INIT_SWEEP_MS late. None if there is no timeout.
  const initTimeoutMs = options.connectionInitWaitTimeoutMs;
  const awaitingInit =
    initTimeoutMs > 0 && Number.isFinite(initTimeoutMs)
      ? createExpirySweep<ConnectionExtra>({
          now: () => new Date(performance.now()),
          intervalMs: Math.min(INIT_SWEEP_MS, initTimeoutMs),
          expire: (extra) =>
            extra.socket.close(
              CloseCode.ConnectionInitialisationTimeout,
              'Connection initialisation timeout',
            ),
        })
      : undefined;
  /**
   * Gives back what a socket held: its place in the connection_init sweep, and once authenticated, its
   * connection slot and its place in the token sweep. Called once, when it closes (a principal is set
   * only while the socket is open).
   */
  const release = (extra: ConnectionExtra) => {
    awaitingInit?.remove(extra, extra.openedAt + initTimeoutMs);
    const { principal } = extra;
    if (!principal) return;
    expiry.remove(extra, principal.acceptedUntilMs);
    const key = principalKey(principal);
    const left = (connections.get(key) ?? 1) - 1;
    if (left > 0) connections.set(key, left);
    else connections.delete(key);
  };
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
  // A subscription's context, given to graphql-ws with its arguments (onSubscribe), not by its `context`
  // hook: graphql-ws subscribes only acknowledged sockets, so the principal is there.
  const contextOf = (ctx: Context<Record<string, unknown>, ConnectionExtra>, id: string): GatewayContext => {
    const principal = ctx.extra.principal;
    if (!principal) throw new Error('Unreachable: a subscription before an authenticated connection_init.');
    return {
      principal,
      services: options.services,
      logger: ctx.extra.logger,
      connection: new OperationConnection(ctx, id),
    };
  };
  const graphqlWs = makeServer<Record<string, unknown>, ConnectionExtra>({
    schema: options.schema,
    // Live changes are the same object for every device of a feed: execute each once per selection.
    subscribe: createSharedSubscribe((event) => (isChangeEvent(event) ? event.change : null)),
    // Ours instead (awaitingInit): graphql-ws's is a timer per socket, held for the socket's life.
    connectionInitWaitTimeout: 0,
    async onConnect(ctx) {
      awaitingInit?.remove(ctx.extra, ctx.extra.openedAt + initTimeoutMs);
      // graphql-ws keeps a socket's operations by id in an `Object.create(null)`, which V8 makes a
      // dictionary from the start (≈ 0.15 KiB per socket before it holds anything). The same object, with
      // no prototype either (so an id such as "toString" is no operation), made from a literal stays
      // compact while its ids are ones other sockets use too (our client's "1", "2"…); a random id per
      // socket (graphql-ws's own client: UUIDs) gives it a hidden class of its own, ≈ 0.17 KiB, still
      // less. Swapped here, before any operation can be added: graphql-ws refuses a subscribe until
      // connection_init has been acknowledged.
      (ctx as { subscriptions: object }).subscriptions = Object.setPrototypeOf({}, null);
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
      ctx.extra.principal = principal;
      // Released when the socket closes (`opened`); closed already if its token ran out meanwhile.
      if (tokenAccepted(ctx.extra)) expiry.add(ctx.extra, principal.acceptedUntilMs);
      return true;
    },
    onSubscribe(ctx, id, payload) {
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
        // Every field graphql-ws would otherwise add (rootValue, contextValue) is here from the start:
        // added later, they gave each subscription's arguments a property array of their own.
        return {
          schema: options.schema,
          document: checked.document,
          operationName: payload.operationName,
          variableValues: payload.variables,
          rootValue: undefined,
          contextValue: contextOf(ctx, id),
        };
      } catch (error) {
        const originalError = error instanceof Error ? error : new Error(String(error));
        return [new GraphQLError('Unexpected error.', { originalError })];
      }
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
      const extra: ConnectionExtra = { socket, logger, openedAt: performance.now(), principal: undefined };
      // Until connection_init (onConnect) or the close (release), whichever comes first.
      awaitingInit?.add(extra, extra.openedAt + initTimeoutMs);
      const closed = graphqlWs.opened(new ProtocolSocket(extra, tokenAccepted), extra);
      return (code, reason) => {
        release(extra);
        return closed(code, reason);
      };
    },
  };
}
