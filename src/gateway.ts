import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApolloServer, type ApolloServerPlugin } from '@apollo/server';
import { ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { ApolloServerPluginLandingPageLocalDefault } from '@apollo/server/plugin/landingPage/default';
import { createAuthenticator } from './auth/authenticator.js';
import { bearerToken, createEmbeddedIssuer, type EmbeddedIssuer } from './auth/embedded-issuer.js';
import type { Principal } from './auth/principal.js';
import { loadOrCreateSigningKey } from './auth/signing-key.js';
import type { Config } from './config.js';
import { createDeliveryRecorder } from './delivery/delivery-recorder.js';
import { createWebSocketServer } from './delivery/websocket-server.js';
import { ErrorCode, formatError, GatewayError } from './errors.js';
import type { Fanout } from './fanout/fanout.js';
import { createMemoryFanout } from './fanout/memory-fanout.js';
import { createRedisFanout } from './fanout/redis-fanout.js';
import type { GatewayContext, Services } from './graphql/context.js';
import { operationLimitsRule } from './graphql/operation-limits.js';
import { createRateLimiter } from './graphql/rate-limiter.js';
import { createSchema } from './graphql/schema.js';
import { GRAPH_CREATE_NOTIFICATION } from './http/graph-notification.js';
import { createGraphRest } from './http/graph-rest.js';
import { createGraphQLOverHttp } from './http/graphql-over-http.js';
import { logRequest } from './http/request-log.js';
import { sendJson } from './http/respond.js';
import { createTokenEndpoint } from './http/token-endpoint.js';
import { createInboxRoutes } from './inbox/inbox-routes.js';
import { errorFields, type Logger, silentLogger } from './logger.js';
import { createSweeper, type SweepReport } from './maintenance/sweeper.js';
import { createMetrics } from './observability/metrics.js';
import { createReadinessProbe } from './observability/readiness.js';
import { createStore } from './store/create-store.js';

export const GRAPHQL_PATH = '/graphql';

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
  /** The clock; tests replace it to control expiry. */
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
  const unexpectedTo = (log: Logger) => (error: unknown) => log.error('unexpected error', errorFields(error));
  const logUnexpected = unexpectedTo(logger);
  const metrics = createMetrics();
  const store = metrics.countStoreCalls(await createStore(config, options.onStoreQuery));
  const issuer = createEmbeddedIssuer({
    key: await loadOrCreateSigningKey(config.dataDir),
    issuer: config.auth.issuer,
    audience: config.auth.audience,
    clockToleranceSeconds: config.auth.clockToleranceSeconds,
  });
  const verifyToken = createAuthenticator(issuer, config.auth.external, config.auth.clockToleranceSeconds);
  const fanout =
    options.fanout ??
    (config.redisUrl
      ? createRedisFanout({ url: config.redisUrl, prefix: config.redisPrefix, logger })
      : createMemoryFanout(logUnexpected));
  const now = options.now ?? (() => new Date());
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
  const services: Services = {
    config,
    store,
    fanout,
    deliveries,
    appMutations,
    userMutations,
    logger,
    metrics,
    now,
  };
  const limits = operationLimitsRule({
    maxDepth: config.limits.maxQueryDepth,
    maxAliases: config.limits.maxAliases,
    maxFields: config.limits.maxFields,
    exemptDocuments: new Set([GRAPH_CREATE_NOTIFICATION]),
  });
  const sweeper = createSweeper({
    store,
    fanout,
    now,
    retentionMs: config.retention.logRetentionSeconds * 1000,
    intervalMs: config.retention.sweepIntervalMs,
    batchSize: 500,
    onError: logUnexpected,
  });
  /**
   * The principal behind a bearer credential. An app token counts only from the issuer its app is
   * registered with: client ids are not secret, and another issuer could mint a token naming one.
   */
  const authenticate = async (authorization: unknown): Promise<Principal> => {
    const principal = await verifyToken(bearerToken(authorization));
    if (principal.kind === 'app') {
      const app = await store.findApp(principal.appId);
      if (!app || (app.tokenIssuer ?? issuer.issuer) !== principal.issuer) {
        throw new GatewayError(
          ErrorCode.Unauthenticated,
          'The access token is not usable here: its app is not registered with its issuer.',
        );
      }
    }
    return principal;
  };
  const schema = createSchema();
  // Which request's logger an error belongs to, for Apollo's formatError (which is given no context).
  const requestLoggers = new WeakMap<object, Logger>();
  const production = config.mode === 'production';

  const apollo = new ApolloServer<GatewayContext>({
    schema,
    introspection: config.mode === 'development',
    includeStacktraceInErrorResponses: false,
    csrfPrevention: true,
    validationRules: [limits],
    hideSchemaDetailsFromClientErrors: production,
    formatError: (formatted, error) => {
      const log = requestLoggers.get(error as object) ?? logger;
      const answer = formatError(error, unexpectedTo(log), formatted.extensions?.code, production);
      metrics.errorAnswered('http', answer.extensions?.code);
      return answer;
    },
    plugins: [
      {
        async requestDidStart() {
          return {
            async didEncounterErrors({ errors, contextValue }) {
              for (const error of errors) requestLoggers.set(error, contextValue.logger);
            },
          };
        },
      },
      rateLimitedAnswers429,
      config.mode === 'development'
        ? ApolloServerPluginLandingPageLocalDefault({ embed: true, includeCookies: false })
        : ApolloServerPluginLandingPageDisabled(),
    ],
    logger: {
      debug() {},
      info() {},
      warn: (m) => logger.warn(String(m)),
      error: (m) => logger.error(String(m)),
    },
  });
  await apollo.start();
  const graphqlOverHttp = createGraphQLOverHttp({
    apollo,
    services,
    authenticate,
    maxBodyBytes: config.limits.maxBodyBytes,
  });
  // Microsoft Graph's POST /v1.0/me/notifications, on the same createNotification as GraphQL.
  const graphRest = createGraphRest({
    apollo,
    services,
    authenticate,
    maxBodyBytes: config.limits.maxBodyBytes,
  });
  const readiness = createReadinessProbe({
    checks: { store: () => store.ping(), fanout: () => fanout.ping() },
    timeoutMs: READINESS_TIMEOUT_MS,
    logger,
  });
  const tokenEndpoint = createTokenEndpoint({
    issuer,
    store,
    tokenTtlSeconds: config.auth.appTokenTtlSeconds,
  });

  const routes: Record<string, (request: IncomingMessage, response: ServerResponse) => Promise<void> | void> =
    {
      [`GET ${GRAPHQL_PATH}`]: graphqlOverHttp,
      [`POST ${GRAPHQL_PATH}`]: graphqlOverHttp,
      'POST /oauth2/token': tokenEndpoint,
      ...createInboxRoutes(),
      'GET /.well-known/jwks.json': (_, response) =>
        sendJson(response, 200, issuer.jwks, { 'cache-control': 'public, max-age=300' }),
      'GET /healthz': (_, response) => sendJson(response, 200, { status: 'ok' }),
      'GET /metrics': async (_, response) => {
        response.writeHead(200, { 'content-type': metrics.registry.contentType });
        response.end(await metrics.registry.metrics());
      },
      'GET /readyz': async (_, response) => {
        const { ready, body } = await readiness();
        sendJson(response, ready ? 200 : 503, body, { 'cache-control': 'no-store' });
      },
    };
  const httpServer = createServer((request, response) => {
    const path = new URL(request.url ?? '/', 'http://localhost').pathname;
    // Every line about this request carries its id (and one access line is written when it ends).
    const log = logRequest(request, response, path, logger);
    const route =
      routes[`${request.method} ${path}`] ?? (graphRest.serves(path) ? graphRest.handle : undefined);
    if (!route) {
      sendJson(response, 404, {
        error: 'not_found',
        error_description: `No route for ${request.method} ${path}.`,
      });
      return;
    }
    Promise.resolve()
      .then(() => route(request, response))
      .catch((error: unknown) => {
        log.error('unexpected error', errorFields(error));
        if (!response.headersSent)
          sendJson(response, 500, { error: 'server_error', error_description: 'Unexpected error.' });
        else response.destroy();
      });
  });
  const webSockets = createWebSocketServer({
    httpServer,
    path: GRAPHQL_PATH,
    schema,
    services,
    authenticate,
    log: logUnexpected,
    maxPayloadBytes: config.limits.maxBodyBytes,
    connectionInitWaitTimeoutMs: config.limits.connectionInitTimeoutMs,
    keepAliveMs: config.limits.keepAliveMs,
    maxConnectionsPerPrincipal: config.limits.maxConnectionsPerUser,
    maxSubscriptionsPerConnection: config.limits.maxSubscriptionsPerConnection,
    production: config.mode === 'production',
    validationRules: [limits],
  });
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

/**
 * An HTTP request refused by a rate limit answers 429 with Retry-After (RFC 6585), not 200 with an
 * error inside: clients and proxies then back off on their own.
 */
const rateLimitedAnswers429: ApolloServerPlugin<GatewayContext> = {
  async requestDidStart() {
    return {
      async willSendResponse({ response }) {
        if (response.body.kind !== 'single') return;
        const limited = response.body.singleResult.errors?.find(
          (error) => error.extensions?.code === ErrorCode.RateLimited,
        );
        // Only when nothing was done: a 429 tells clients and proxies to retry the whole request.
        const data = response.body.singleResult.data;
        const somethingDone = data ? Object.values(data).some((value) => value !== null) : false;
        if (!limited || somethingDone) return;
        response.http.status = 429;
        response.http.headers.set('retry-after', String(limited.extensions?.retryAfterSeconds ?? 1));
      },
    };
  },
};
