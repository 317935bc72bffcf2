import { ApolloServer, type ApolloServerPlugin, type GraphQLRequestListener } from '@apollo/server';
import {
  ApolloServerPluginCacheControlDisabled,
  ApolloServerPluginLandingPageDisabled,
} from '@apollo/server/plugin/disabled';
import { ApolloServerPluginLandingPageLocalDefault } from '@apollo/server/plugin/landingPage/default';
import type { GraphQLSchema } from 'graphql';
import type { GatewayContext, Services } from '../graphql/context.js';
import { documentParseOptions } from '../graphql/document-checker.js';
import { operationLimitsRule } from '../graphql/operation-limits.js';
import type { Logger } from '../logger.js';
import { combinedListener } from './combined-listener.js';
import { GRAPH_CREATE_NOTIFICATION } from './graph-notification.js';
import type { HttpErrorFormatter } from './http-error-format.js';
import type { KnownDocuments } from './known-documents.js';
import { retryLaterListener } from './retry-later.js';
import { subscriptionsRefusedOverHttp } from './subscriptions-refused.js';

/**
 * Apollo Server as the gateway runs it over HTTP: the operation limits (the Graph route's own fixed
 * operation exempt), errors through the one formatter with each request's own log, 429 for a refused
 * rate, introspection and Apollo Sandbox in development only. Documents it accepts are remembered in
 * `knownDocuments` (which also serves as its persisted-query cache). Started; stop it with `stop()`.
 */
export async function createApolloServer(
  schema: GraphQLSchema,
  services: Services,
  knownDocuments: KnownDocuments,
  formatHttpError: HttpErrorFormatter,
  /** The gateway's other plugins (e.g. known-operations.ts's, which must know when Apollo stops). */
  plugins: readonly ApolloServerPlugin<GatewayContext>[] = [],
): Promise<ApolloServer<GatewayContext>> {
  const { config, logger } = services;
  const production = config.mode === 'production';
  // Which request's logger an error belongs to, for Apollo's formatError (which is given no context).
  const requestLoggers = new WeakMap<object, Logger>();
  const rememberRequestLoggers: GraphQLRequestListener<GatewayContext> = {
    async didEncounterErrors({ errors, contextValue }) {
      for (const error of errors) requestLoggers.set(error, contextValue.logger);
    },
  };
  const gatewayListener = combinedListener([
    rememberRequestLoggers,
    retryLaterListener,
    subscriptionsRefusedOverHttp,
    knownDocuments.listener,
  ]);
  const apollo = new ApolloServer<GatewayContext>({
    schema,
    introspection: !production,
    includeStacktraceInErrorResponses: false,
    csrfPrevention: true,
    // main.ts owns SIGINT/SIGTERM and the gateway stops Apollo in its close order. Left to itself (with
    // NODE_ENV other than test) Apollo stops on the signal and re-sends it, killing the process before
    // sockets get 1001 and the store is closed.
    stopOnTerminationSignals: false,
    persistedQueries: { cache: knownDocuments.persistedQueryCache },
    parseOptions: documentParseOptions(config.limits.maxQueryTokens),
    validationRules: [
      operationLimitsRule({
        maxDepth: config.limits.maxQueryDepth,
        maxAliases: config.limits.maxAliases,
        maxFields: config.limits.maxFields,
        // The Graph route runs this fixed operation for its clients, who cannot change its shape.
        exemptDocuments: new Set([GRAPH_CREATE_NOTIFICATION]),
      }),
    ],
    hideSchemaDetailsFromClientErrors: production,
    formatError: (formatted, error) =>
      formatHttpError(error, requestLoggers.get(error as object) ?? logger, formatted.extensions?.code),
    plugins: [
      // One listener for every request (they keep nothing per request but the WeakMap's entries), made of
      // the gateway's own: one plugin's hooks cost Apollo a promise per request and per hook, not four.
      { requestDidStart: async () => gatewayListener },
      // No cache hints anywhere in the schema, and every answer is per caller: the default cache-control
      // plugin only cost a hook per field.
      ApolloServerPluginCacheControlDisabled(),
      production
        ? ApolloServerPluginLandingPageDisabled()
        : ApolloServerPluginLandingPageLocalDefault({ embed: true, includeCookies: false }),
      ...plugins,
    ],
    logger: {
      debug() {},
      info() {},
      warn: (m) => logger.warn(String(m)),
      error: (m) => logger.error(String(m)),
    },
  });
  await apollo.start();
  return apollo;
}
