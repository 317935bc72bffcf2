import type { Server as HttpServer } from 'node:http';
import type { GraphQLSchema } from 'graphql';
import { CloseCode } from 'graphql-ws';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer } from 'ws';
import type { Principal } from '../auth/principal.js';
import { type ErrorLogger, formatError } from '../errors.js';
import type { GatewayContext, Services } from '../graphql/context.js';

/**
 * Close codes of the live feed, named as graphql-ws names its own. See PROTOCOL.md.
 * graphql-ws closes with its own codes for protocol errors (4400 bad request, 4408 no init in time,
 * 4409 duplicate id, 4429 second init); these are the ones Tidings itself uses.
 */
export const FeedCloseCode = {
  /** No, bad or expired token in `connection_init`: get a token, then reconnect. */
  Forbidden: CloseCode.Forbidden,
  /** The gateway is shutting down: reconnect (to any instance) with your cursor. */
  GoingAway: 1001,
} as const;

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
        return { principal, services: options.services };
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
