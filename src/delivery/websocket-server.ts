import type { Server as HttpServer } from 'node:http';
import type { GraphQLSchema } from 'graphql';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer } from 'ws';
import type { Principal } from '../auth/principal.js';
import { type ErrorLogger, formatError } from '../errors.js';
import type { GatewayContext, Services } from '../graphql/context.js';
import { FeedCloseCode } from './close-codes.js';
import type { FeedEvent } from './feed-stream.js';
import { createSharedSubscribe } from './shared-execution.js';

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
}

// A type, not an interface: graphql-ws wants an index-signature-compatible record.
type ConnectionExtra = { principal?: Principal };

/**
 * graphql-ws over `ws`, on the HTTP server's port and GraphQL path. Authenticates `connection_init`
 * (`connectionParams.authorization`, the same "Bearer <token>" string as HTTP) and formats every error
 * with the same formatter as HTTP: graphql-ws does not pass through Apollo's `formatError`.
 */
export function createWebSocketServer(options: WebSocketServerOptions) {
  const wss = new WebSocketServer({
    server: options.httpServer,
    path: options.path,
    maxPayload: options.maxPayloadBytes,
  });
  const format = (errors: readonly unknown[]) => errors.map((error) => formatError(error, options.log));
  const graphqlWs = useServer<Record<string, unknown>, ConnectionExtra>(
    {
      schema: options.schema,
      // Live changes are the same object for every device of a feed: execute each once per selection.
      subscribe: createSharedSubscribe((event) => (isChangeEvent(event) ? event.change : null)),
      connectionInitWaitTimeout: options.connectionInitWaitTimeoutMs,
      async onConnect(ctx) {
        try {
          ctx.extra.principal = await options.authenticate(ctx.connectionParams?.authorization);
          return true;
        } catch {
          return false; // graphql-ws closes with 4403 Forbidden
        }
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
    async close(): Promise<void> {
      for (const socket of wss.clients) socket.close(FeedCloseCode.GoingAway, 'Server shutting down');
      await graphqlWs.dispose();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    },
  };
}
