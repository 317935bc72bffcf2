import type { Server as HttpServer } from 'node:http';
import {
  type GraphQLSchema,
  NoSchemaIntrospectionCustomRule,
  specifiedRules,
  type ValidationRule,
  validate,
} from 'graphql';
import { useServer } from 'graphql-ws/use/ws';
import { type WebSocket, WebSocketServer } from 'ws';
import type { Principal } from '../auth/principal.js';
import { ErrorCode, type ErrorLogger, formatError, GatewayError } from '../errors.js';
import type { GatewayContext, Services } from '../graphql/context.js';
import { FeedCloseCode } from './close-codes.js';
import type { FeedEvent } from './feed-stream.js';
import { createSharedSubscribe } from './shared-execution.js';

// setTimeout's longest delay (about 24.8 days); a token that lives longer is checked again then.
const MAX_TIMER_MS = 2 ** 31 - 1;

/** Closes the socket with 4403 when its token expires: the client reconnects with a fresh one. */
function closeWhenExpired(socket: WebSocket, expiresAt: Date): void {
  let timer: NodeJS.Timeout;
  const arm = () => {
    const left = expiresAt.getTime() - Date.now();
    if (left <= 0) {
      socket.close(FeedCloseCode.Forbidden, 'Token expired');
      return;
    }
    timer = setTimeout(arm, Math.min(left, MAX_TIMER_MS));
    timer.unref();
  };
  arm();
  socket.once('close', () => clearTimeout(timer));
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
  /** Open, authenticated sockets one principal (a user in an app, or an app) may hold on this process. */
  readonly maxConnectionsPerPrincipal: number;
  /** Operations at once on one socket. */
  readonly maxSubscriptionsPerConnection: number;
  /** Production: no introspection, no error detail from graphql-ws itself. */
  readonly production: boolean;
  /** Rules added to GraphQL's own (the same ones Apollo applies over HTTP). */
  readonly validationRules: readonly ValidationRule[];
}

// A type, not an interface: graphql-ws wants an index-signature-compatible record.
type ConnectionExtra = { principal?: Principal };

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
  const format = (errors: readonly unknown[]) => errors.map((error) => formatError(error, options.log));
  const graphqlWs = useServer<Record<string, unknown>, ConnectionExtra>(
    {
      schema: options.schema,
      isProd: options.production,
      // Apollo's validation rules (and `introspection: false`) do not reach graphql-ws: apply them here.
      validate: (schema, document) => validate(schema, document, rules),
      // Live changes are the same object for every device of a feed: execute each once per selection.
      subscribe: createSharedSubscribe((event) => (isChangeEvent(event) ? event.change : null)),
      connectionInitWaitTimeout: options.connectionInitWaitTimeoutMs,
      async onConnect(ctx) {
        let principal: Principal;
        try {
          principal = await options.authenticate(ctx.connectionParams?.authorization);
        } catch {
          return false; // graphql-ws closes with 4403 Forbidden
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
        closeWhenExpired(socket, principal.expiresAt);
        return true;
      },
      onSubscribe(ctx) {
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
        return undefined;
      },
      context(ctx): GatewayContext {
        const principal = ctx.extra.principal;
        if (!principal)
          throw new Error('Unreachable: a subscription before an authenticated connection_init.');
        const { socket } = ctx.extra;
        return {
          principal,
          services: options.services,
          connection: { close: (code: FeedCloseCode, reason: string) => socket.close(code, reason) },
        };
      },
      onError: (_ctx, _id, _payload, errors) => format(errors),
      onNext: (_ctx, _id, _payload, _args, result) =>
        result.errors
          ? {
              errors: format(result.errors),
              ...(result.data === undefined ? {} : { data: result.data }),
              ...(result.extensions === undefined ? {} : { extensions: result.extensions }),
            }
          : undefined,
    },
    wss,
  );

  return {
    /** Closes every socket with 1001 so clients reconnect elsewhere, then stops the server. */
    /** Closes every socket with 1001 (going away) so clients reconnect elsewhere, then stops. */
    close: async (): Promise<void> => graphqlWs.dispose(),
  };
}
