// The schema of the two GraphQL comparison servers: the same notificationChanges subscription shape as
// Tidings' (a change with kind, cursor and a notification), a `publish` mutation, and `{ ping }`.
import type { Change } from './baseline-common.js';
import { makeChange } from './baseline-common.js';

export const BASELINE_TYPE_DEFS = /* GraphQL */ `
  enum ChangeKind { CREATED REPLACED UPDATED STATE_CHANGED DELETED EXPIRED FALLBACK RESYNC }
  enum Priority { NONE LOW HIGH }
  enum ReadState { UNREAD READ }
  enum NotificationStatus { ACTIVE DELETED }
  type VisualContent { title: String! body: String }
  type Payload { visualContent: VisualContent rawContent: String }
  type Notification {
    id: ID!
    appNotificationId: String!
    priority: Priority!
    readState: ReadState!
    status: NotificationStatus!
    createdDateTime: String!
    payload: Payload!
  }
  type NotificationChange { kind: ChangeKind! cursor: String! notification: Notification }
  type Query { ping: String! }
  type Mutation { publish(userId: ID!, appNotificationId: String!, title: String!, body: String): Boolean! }
  type Subscription { notificationChanges(deviceSubscriptionId: ID!, after: String): NotificationChange! }
`;

/** Resolvers over any pub/sub whose topics are user ids. */
export function baselineResolvers(pubsub: {
  publish(userId: string, change: Change): void;
  subscribe(userId: string): AsyncIterable<Change>;
}) {
  return {
    Query: { ping: () => 'pong' },
    Mutation: {
      publish(_: unknown, args: { userId: string; appNotificationId: string; title: string; body?: string }) {
        pubsub.publish(args.userId, makeChange({ ...args, body: args.body ?? '' }));
        return true;
      },
    },
    Subscription: {
      notificationChanges: {
        subscribe: (_: unknown, args: { deviceSubscriptionId: string }) =>
          pubsub.subscribe(args.deviceSubscriptionId),
        resolve: (change: Change) => change,
      },
    },
  };
}
