import type { IncomingMessage } from 'node:http';
import { createAcceptedIssuersVerifier } from './auth/accepted-issuers.js';
import { createAuthenticator } from './auth/authenticate.js';
import { createEmbeddedIssuer, type EmbeddedIssuer } from './auth/embedded-issuer.js';
import { loadOrCreateSigningKey, loadVerificationKeys } from './auth/signing-key.js';
import { loadOrCreateVapidKeys } from './auth/vapid-keys.js';
import type { Config } from './config/config.js';
import { SETTINGS } from './config/settings.js';
import { createDeliveryRecorder } from './delivery/delivery-recorder.js';
import { createFeedWriter } from './delivery/feed-writer.js';
import {
  createPushDispatcher,
  PUSH_MAX_SLEEP_MS,
  type PushDispatcher,
  type PushRoundReport,
  pushClaimLeaseMs,
} from './delivery/web-push/push-dispatcher.js';
import { createPushSender } from './delivery/web-push/push-sender.js';
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
import { createHttpErrorFormatter } from './http/http-error-format.js';
import { createHttpServer } from './http/http-server.js';
import { createKnownDocuments } from './http/known-documents.js';
import { createKnownOperations } from './http/known-operations.js';
import { hostPort, listen } from './http/listen.js';
import { createMetricsRoutes, createOperationalRoutes } from './http/operational-routes.js';
import { createTokenEndpoint } from './http/token-endpoint.js';
import { createInboxRoutes } from './inbox/inbox-routes.js';
import { errorFields, type Logger, silentLogger } from './logger.js';
import { createSweeper, type Sweeper, type SweepReport } from './maintenance/sweeper.js';
import { createClientAddress } from './observability/client-address.js';
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
/** Requests that are no work of the gateway's: liveness and readiness probes, and metrics scrapes. */
const PROBE_PATHS = ['/healthz', '/readyz', '/metrics'];
const isProbe = (url = '/'): boolean =>
  PROBE_PATHS.some(
    (path) => url.startsWith(path) && (url.length === path.length || url[path.length] === '?'),
  );
const NO_PUSHES: PushRoundReport = { claimed: 0, pushed: 0, gone: 0, failed: 0, skipped: 0 };

export interface Gateway {
  /** e.g. http://127.0.0.1:4000/graphql */
  readonly url: string;
  /** e.g. ws://127.0.0.1:4000/graphql */
  readonly wsUrl: string;
  /** Where GET /metrics answers (TIDINGS_METRICS_ADDRESS), e.g. http://127.0.0.1:9464/metrics; null: off. */
  readonly metricsUrl: string | null;
  /** The embedded issuer, for the CLI and tests that need tokens. */
  readonly issuer: EmbeddedIssuer;
  readonly services: Services;
  /** Runs expiry, due fallbacks and purge now (they also run every TIDINGS_SWEEP_INTERVAL_MS). */
  sweepOnce(): Promise<SweepReport>;
  /**
   * Looks for due Web Pushes now and sends them (also done every TIDINGS_WEB_PUSH_INTERVAL_MS); resolves
   * once they have ended. Nothing when Web Push is off.
   */
  pushOnce(): Promise<PushRoundReport>;
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
 * @throws ConfigError when an address cannot be listened on (in use, not this machine's, no privilege).
 * @throws Error when the store cannot be opened or migrated, or a port cannot be bound for another reason.
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
    verificationKeys: await loadVerificationKeys(config.dataDir),
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
  // Budgets refill by the gateway's clock (a test's clock too), read as a number: no Date per mutation
  // on the real one.
  const givenNow = options.now;
  const budgetNow = givenNow ? () => givenNow().getTime() : Date.now;
  const appMutations = createRateLimiter({
    perSecond: config.limits.appMutationsPerSecond,
    burst: config.limits.appMutationBurst,
    now: budgetNow,
  });
  const userMutations = createRateLimiter({
    perSecond: config.limits.userMutationsPerSecond,
    burst: config.limits.userMutationBurst,
    now: budgetNow,
  });
  // Web Push: one VAPID key pair for the deployment, in the store (every process reads the same one).
  const vapidKeys = config.webPush.enabled ? await loadOrCreateVapidKeys(store, now()) : null;
  // Every change devices must hear of goes through this one door: commit, then publish. What it
  // publishes also tells the sweeper when this process's notifications expire or fall back, and Web Push
  // when its changes fall due, so that they sleep until then rather than polling (they are created
  // below: the sweeper writes through this door too).
  let sweeper: Sweeper | undefined;
  let pushes: PushDispatcher | null | undefined;
  const feeds = createFeedWriter(store, {
    publish(changes) {
      fanout.publish(changes);
      sweeper?.changed(changes);
      pushes?.changed(changes);
      metrics.eventLoop.busy();
    },
    announceDeviceRemoved: (feedId, device) => fanout.announceDeviceRemoved(feedId, device),
  });
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
    webPush: vapidKeys && { applicationServerKey: vapidKeys.publicKey },
  };
  sweeper = createSweeper({
    feeds,
    store,
    now,
    retentionMs: config.retention.logRetentionSeconds * 1000,
    intervalMs: config.retention.sweepIntervalMs,
    batchSize: 500,
    onError: logUnexpected,
  });
  pushes =
    vapidKeys &&
    createPushDispatcher({
      store,
      sender: createPushSender({
        vapidKeys,
        subject: config.webPush.subject,
        timeoutMs: config.webPush.timeoutMs,
        now,
        allowInsecureLocalhost: config.webPush.allowInsecureLocalhost,
      }),
      now,
      delayMs: config.webPush.delayMs,
      claimLeaseMs: pushClaimLeaseMs(config.webPush.timeoutMs),
      intervalMs: config.webPush.intervalMs,
      // Several processes (PostgreSQL) look every interval: another's changes, and the claims of one that
      // died, fall due without this one hearing of them.
      maxSleepMs: config.databaseProvider === 'sqlite' ? PUSH_MAX_SLEEP_MS : config.webPush.intervalMs,
      logger,
      onOutcome: (outcome) => metrics.webPushEnded(outcome),
    });
  const schema = createSchema();

  // HTTP: GraphQL through Apollo Server, Graph's REST route on the same createNotification, the token
  // endpoint, the web inbox and the operational routes.
  const clientAddress = createClientAddress(config.trustedProxies);
  const readiness = createReadinessProbe({
    checks: { store: () => store.ping(), fanout: () => fanout.ping() },
    timeoutMs: READINESS_TIMEOUT_MS,
    logger,
  });
  const knownDocuments = createKnownDocuments();
  const formatHttpError = createHttpErrorFormatter(services);
  const knownOperations = createKnownOperations(schema, knownDocuments, formatHttpError);
  const apollo = await createApolloServer(schema, services, knownDocuments, formatHttpError, [
    knownOperations.plugin,
  ]);
  const transport = {
    apollo,
    knownDocuments,
    knownOperations,
    services,
    authenticate,
    maxBodyBytes: config.limits.maxBodyBytes,
  };
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
        readiness,
        metricsOnPublicPort: config.metricsAddress === 'public',
      }),
    },
    routeByPath: (path) => (graphRest.serves(path) ? graphRest.handle : undefined),
    cors: {
      serves: (path) => path === GRAPHQL_PATH || path === TOKEN_PATH || graphRest.serves(path),
      apply: createCors(allowsOrigin),
    },
    logger,
    clientAddress,
    keepAliveTimeoutMs: config.limits.httpKeepAliveTimeoutMs,
  });
  // Metrics on a listener of their own (off the public port), with liveness and readiness beside them.
  const metricsAddress = typeof config.metricsAddress === 'object' ? config.metricsAddress : null;
  const metricsServer =
    metricsAddress &&
    createHttpServer({
      routes: createMetricsRoutes({ metrics, readiness }),
      logger,
      clientAddress,
      keepAliveTimeoutMs: config.limits.httpKeepAliveTimeoutMs,
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
      compression: config.limits.webSocketCompression,
      allowsOrigin,
      clientAddress,
    },
  );
  metrics.gaugeOf('tidings_open_sockets', 'WebSocket connections open now.', webSockets.openSockets);
  // The event-loop monitor samples while there is work: a request (not a probe or a scrape), a socket
  // opening or open, a change committed (see above).
  httpServer.on('request', (request: IncomingMessage) => {
    if (!isProbe(request.url)) metrics.eventLoop.busy();
  });
  httpServer.on('upgrade', () => metrics.eventLoop.busy());
  metrics.eventLoop.whileWork(() => webSockets.openSockets() > 0);

  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= (async () => {
      // Stop accepting; requests in flight (a mutation committing) finish and are answered.
      const httpClosed = new Promise<void>((resolve) => httpServer.close(() => resolve()));
      httpServer.closeIdleConnections();
      // A kept-alive connection whose request was in flight becomes idle once answered: closed then, not
      // left to the grace's cut (idle connections last TIDINGS_HTTP_KEEP_ALIVE_TIMEOUT_MS, 72 s).
      // (Unref'd and cleared whatever happens below: it never holds the process.)
      const closeIdle = setInterval(() => httpServer.closeIdleConnections(), 100).unref();
      try {
        metricsServer?.close();
        metricsServer?.closeAllConnections();
        // Sockets get 1001 and reconnect elsewhere with their cursors.
        await webSockets.close();
        // A request that hangs must not hold the shutdown forever.
        await Promise.race([
          httpClosed,
          new Promise((resolve) => setTimeout(resolve, SHUTDOWN_GRACE_MS).unref()),
        ]);
      } finally {
        clearInterval(closeIdle);
      }
      httpServer.closeAllConnections();
      try {
        await apollo.stop();
        await sweeper.close();
        await pushes?.close();
        await deliveries.close();
        await fanout.close();
        await store.close();
      } finally {
        // The event-loop monitor's timers stop even if a step above failed.
        metrics.close();
      }
    })();
    return closing;
  };

  let port: number;
  let metricsUrl: string | null = null;
  try {
    port = await listen(httpServer, {
      host: config.host,
      port: config.port,
      portSetting: `${SETTINGS.port.name} (--${SETTINGS.port.flag})`,
      hostSetting: `${SETTINGS.host.name} (--${SETTINGS.host.flag})`,
    });
    if (metricsServer && metricsAddress) {
      const setting = `${SETTINGS.metricsAddress.name} (--${SETTINGS.metricsAddress.flag})`;
      const metricsPort = await listen(metricsServer, {
        ...metricsAddress,
        portSetting: setting,
        hostSetting: setting,
      });
      metricsUrl = `http://${hostPort(metricsAddress.host, metricsPort)}/metrics`;
    }
  } catch (error) {
    // Nothing opened so far may outlive a gateway that could not start (the store, timers, Redis).
    await close();
    throw error;
  }
  const origin = `http://${hostPort(config.host, port)}`;
  return {
    url: `${origin}${GRAPHQL_PATH}`,
    wsUrl: `ws://${hostPort(config.host, port)}${GRAPHQL_PATH}`,
    metricsUrl: config.metricsAddress === 'public' ? `${origin}/metrics` : metricsUrl,
    issuer,
    services,
    sweepOnce: () => sweeper.sweepOnce(),
    pushOnce: () => pushes?.pushOnce() ?? Promise.resolve(NO_PUSHES),
    close,
  };
}
