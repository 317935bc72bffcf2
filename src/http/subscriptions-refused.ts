import type { GraphQLRequestListener } from '@apollo/server';
import { GraphQLError } from 'graphql';
import { ErrorCode } from '../errors.js';
import type { GatewayContext } from '../graphql/context.js';

/**
 * A subscription sent over HTTP is refused before it runs: 400 BAD_REQUEST, saying where subscriptions
 * go. Apollo would execute it as a query, running the subscription field's `resolve` with no event (an
 * internal error, logged with a stack, for what is the client's mistake).
 */
export const subscriptionsRefusedOverHttp: GraphQLRequestListener<GatewayContext> = {
  // No state: every request shares it.
  async didResolveOperation({ operation }) {
    if (operation?.operation !== 'subscription') return;
    throw new GraphQLError(
      'Subscriptions are served over WebSocket (graphql-transport-ws, on this same URL), not over HTTP.',
      { extensions: { code: ErrorCode.BadRequest, http: { status: 400 } } },
    );
  },
};
