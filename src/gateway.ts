import type { AddressInfo } from 'node:net';
import { createAcceptedIssuersVerifier } from './auth/accepted-issuers.js';
import { createAuthenticator } from './auth/authenticate.js';
import { createEmbeddedIssuer, type EmbeddedIssuer } from './auth/embedded-issuer.js';
import { loadOrCreateSigningKey } from './auth/signing-key.js';
import type { Config } from './config/config.js';
import { createDeliveryRecorder } from './delivery/delivery-recorder.js';
import { createFeedWriter } from './delivery/feed-writer.js';
import type { Fanout } from './fanout/fanout.js';
import { createMemoryFanout } from './fanout/memory-fanout.js';
import { createRedisFanout } from './fanout/redis-fanout.js';
import type { Services } from './graphql/context.js';
import { operationLimitsRule } from './graphql/operation-limits.js';
import { createRateLimiter } from './graphql/rate-limiter.js';
import { createSchema } from './graphql/schema.js';
import { createApolloServer } from './http/apollo-server.js';
import { createCors, createOriginPolicy } from './http/cors.js';
import { createGraphRest } from './http/graph-rest.js';
import { createGraphQLOverHttp } from './http/graphql-over-http.js';
import { createHttpServer } from './http/http-server.js';
import { createOperationalRoutes } from './http/operational-routes.js';
import { createTokenEndpoint } from './http/token-endpoint.js';
import { createInboxRoutes } from './inbox/inbox-routes.js';
import { errorFields, type Logger, silentLogger } from './logger.js';
import { createSweeper, type SweepReport } from './maintenance/sweeper.js';
import { createMetrics } from './observability/metrics.js';
import { createReadinessProbe } from './observability/readiness.js';
import { createStore } from './store/create-store.js';
import { createGraphqlWsServer } from './websocket/graphql-ws-server.js';
import { useWs } from './websocket/use-ws.js';

export const GRAPHQL_PATH = '/graphql';
const TOKEN_PATH = '/oauth2/token';

/** How long shutdown waits for requests in flight before cutting their connections. */
const SHUTDOWN_GRACE_MS = 10_000;
/** How long /readyz waits for each dependency: a hung database answers "not ready", not nothing. */
const READINESS_TIMEOUT_MS = 2000;

export interface Gateway {
  /** e.g. http://127.0.0.1:4000/graphql */
  readonly url: string;
  /** e.g. ws://127.0.0.1:4000/graphql */
  readonly wsUrl: string;
  /** The embedded issuer, for the CLI and tests that need tokens. */
  readonly issuer: EmbeddedIssuer;
  readonly services: Services;
  /** Runs expiry, due fallbacks and purge now (they also run every TIDINGS_SWEEP_INTERVAL_MS). */
  sweepOnce(): Promise<SweepReport>;
  /** Stops taking requests, then closes sockets (1001), the fan-out and the store, in that order. */
  close(): Promise<void>;
}

export interface GatewayOptions {
  readonly logger?: Logger;
  /** The clock of everything timed (tokens, expiry, fallbacks, retention); tests replace it to control them. */
  readonly now?: () => Date;
  /** The fan-out transport; in memory unless given (it is replaceable, like a pub/sub engine). */
  readonly fanout?: Fanout;
  /** Told every SQL statement the store runs. */
  readonly onStoreQuery?: (sql: string) => void;
}

/**
 * Starts a gateway: the store (migrated), the embedded issuer, GraphQL over HTTP and WebSocket on one
 * port, and the token and key endpoints.
 * @throws Error when the store cannot be opened or migrated, or the port cannot be bound.
 */
export async function createGateway(config: Config, options: GatewayOptions = {}): Promise<Gateway> {
  const logger = options.logger ?? silentLogger;
  const logUnexpected = (error: unknown) => logger.error('unexpected error', errorFields(error));
  const metrics = createMetrics();
  const store = metrics.countStoreCalls(await createStore(config, options.onStoreQuery, logger));
  // One clock for everything timed: tokens (issued, verified over HTTP, and sockets closed when theirs
  // runs out), expiry, fallbacks and retention.
  const now = options.now ?? (() => new Date());
  const issuer = createEmbeddedIssuer({
    key: await loadOrCreateSigningKey(config.dataDir),
    issuer: config.auth.issuer,
    audience: config.auth.audience,
    clockToleranceSeconds: config.auth.clockToleranceSeconds,
    now,
  });
  const authenticate = createAuthenticator({
    verifyToken: createAcceptedIssuersVerifier(
      issuer,
      config.auth.external,
      config.auth.clockToleranceSeconds,
      now,
    ),
    store,
    embeddedIssuer: issuer.issuer,
  });
  const fanout =
    options.fanout ??
    (config.redisUrl
      ? createRedisFanout({ url: config.redisUrl, prefix: config.redisPrefix, logger })
      : createMemoryFanout(logUnexpected));
  const deliveries = createDeliveryRecorder(store, {
    intervalMs: config.retention.deliveryFlushMs,
    now,
    onError: logUnexpected,
  });
  const appMutations = createRateLimiter({
    perSecond: config.limits.appMutationsPerSecond,
    burst: config.limits.appMutationBurst,
    now: () => Date.now(),
  });
  const userMutations = createRateLimiter({
    perSecond: config.limits.userMutationsPerSecond,
    burst: config.limits.userMutationBurst,
    now: () => Date.now(),
  });
  // Every change devices must hear of goes through this one door: commit, then publish.
  const feeds = createFeedWriter(store, fanout);
  const services: Services = {
    config,
    store,
    feeds,
    fanout,
    deliveries,
    appMutations,
    userMutations,
    logger,
    metrics,
    now,
  };
  const sweeper = createSweeper({
    feeds,
    store,
    now,
    retentionMs: config.retention.logRetentionSeconds * 1000,
    intervalMs: config.retention.sweepIntervalMs,
    batchSize: 500,
    onError: logUnexpected,
  });
  const schema = createSchema();

  // HTTP: GraphQL through Apollo Server, Graph's REST route on the same createNotification, the token
  // endpoint, the web inbox and the operational routes.
  const apollo = await createApolloServer(schema, services);
  const transport = { apollo, services, authenticate, maxBodyBytes: config.limits.maxBodyBytes };
  const graphRest = createGraphRest(transport);
  const graphqlOverHttp = createGraphQLOverHttp(transport);
  // Which pages on other origins may call the gateway: over HTTP (CORS) and WebSocket alike.
  const allowsOrigin = createOriginPolicy(config.allowedOrigins);
  const httpServer = createHttpServer({
    routes: {
      [`GET ${GRAPHQL_PATH}`]: graphqlOverHttp,
      [`POST ${GRAPHQL_PATH}`]: graphqlOverHttp,
      [`POST ${TOKEN_PATH}`]: createTokenEndpoint({
        issuer,
        store,
        tokenTtlSeconds: config.auth.appTokenTtlSeconds,
      }),
      ...createInboxRoutes(),
      ...createOperationalRoutes({
        jwks: issuer.jwks,
        metrics,
        readiness: createReadinessProbe({
          checks: { store: () => store.ping(), fanout: () => fanout.ping() },
          timeoutMs: READINESS_TIMEOUT_MS,
          logger,
        }),
      }),
    },
    routeByPath: (path) => (graphRest.serves(path) ? graphRest.handle : undefined),
    cors: {
      serves: (path) => path === GRAPHQL_PATH || path === TOKEN_PATH || graphRest.serves(path),
      apply: createCors(allowsOrigin),
    },
    logger,
  });

  // WebSocket: graphql-ws on the same port and path, for the live feeds.
  const webSockets = useWs(
    createGraphqlWsServer({
      schema,
      services,
      authenticate,
      connectionInitWaitTimeoutMs: config.limits.connectionInitTimeoutMs,
      maxConnectionsPerPrincipal: config.limits.maxConnectionsPerUser,
      maxSubscriptionsPerConnection: config.limits.maxSubscriptionsPerConnection,
      production: config.mode === 'production',
      validationRules: [
        operationLimitsRule({
          maxDepth: config.limits.maxQueryDepth,
          maxAliases: config.limits.maxAliases,
          maxFields: config.limits.maxFields,
        }),
      ],
      maxQueryTokens: config.limits.maxQueryTokens,
    }),
    {
      httpServer,
      path: GRAPHQL_PATH,
      logger,
      maxPayloadBytes: config.limits.maxBodyBytes,
      keepAliveMs: config.limits.keepAliveMs,
      allowsOrigin,
    },
  );
  metrics.gaugeOf('tidings_open_sockets', 'WebSocket connections open now.', webSockets.openSockets);

  await new Promise<void>((resolve, reject) => {
    httpServer.once('error', reject);
    httpServer.listen(config.port, config.host, () => resolve());
  });
  const { port } = httpServer.address() as AddressInfo;
  const host = config.host.includes(':') ? `[${config.host}]` : config.host;

  let closing: Promise<void> | undefined;
  return {
    url: `http://${host}:${port}${GRAPHQL_PATH}`,
    wsUrl: `ws://${host}:${port}${GRAPHQL_PATH}`,
    issuer,
    services,
    sweepOnce: () => sweeper.sweepOnce(),
    close() {
      closing ??= (async () => {
        // Stop accepting; requests in flight (a mutation committing) finish and are answered.
        const httpClosed = new Promise<void>((resolve) => httpServer.close(() => resolve()));
        httpServer.closeIdleConnections();
        // Sockets get 1001 and reconnect elsewhere with their cursors.
        await webSockets.close();
        // A request that hangs must not hold the shutdown forever.
        await Promise.race([
          httpClosed,
          new Promise((resolve) => setTimeout(resolve, SHUTDOWN_GRACE_MS).unref()),
        ]);
        httpServer.closeAllConnections();
        await apollo.stop();
        await sweeper.close();
        await deliveries.close();
        await fanout.close();
        await store.close();
      })();
      return closing;
    },
  };
}
