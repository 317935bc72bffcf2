import { readFileSync } from 'node:fs';
import { makeExecutableSchema } from '@graphql-tools/schema';
import type { GraphQLSchema } from 'graphql';
import { deliveryResolvers } from './resolvers/deliveries.js';
import { deviceSubscriptionResolvers } from './resolvers/device-subscriptions.js';
import { notificationChangeResolvers } from './resolvers/notification-changes.js';
import { notificationEditResolvers } from './resolvers/notification-edits.js';
import { notificationResolvers } from './resolvers/notifications.js';
import { webPushResolvers } from './resolvers/web-push.js';
import { DateTime } from './scalars.js';

/** The schema-first SDL at the top of the repository: the public contract. */
export const SCHEMA_PATH = new URL('../../schema.graphql', import.meta.url);

/** Builds the executable schema: `schema.graphql` plus the resolvers, one module per domain. */
export function createSchema(): GraphQLSchema {
  return makeExecutableSchema({
    typeDefs: readFileSync(SCHEMA_PATH, 'utf8'),
    resolvers: [
      { DateTime },
      deviceSubscriptionResolvers,
      notificationResolvers,
      notificationEditResolvers,
      notificationChangeResolvers,
      deliveryResolvers,
      webPushResolvers,
    ],
    resolverValidationOptions: { requireResolversToMatchSchema: 'error' },
  });
}
