import { FeedCloseCode } from '../../delivery/close-codes.js';
import { decodeCursor, encodeCursor } from '../../delivery/cursor.js';
import { type FeedEvent, openFeedStream } from '../../delivery/feed-stream.js';
import { UnreachableCaseError } from '../../errors.js';
import type { Resolvers } from '../generated/resolvers-types.js';
import { ownDeviceSubscription } from './device-subscriptions.js';

export const notificationChangeResolvers: Resolvers = {
  Subscription: {
    notificationChanges: {
      /**
       * Opens the device's feed.
       * @throws GatewayError NOT_FOUND for a UNSID that is not the caller's own, live one;
       *   BAD_USER_INPUT for a malformed cursor.
       */
      async subscribe(_, args, context) {
        const after = args.after ? decodeCursor(args.after, 'after') : null;
        const device = await ownDeviceSubscription(context, args.deviceSubscriptionId);
        const { store, fanout, deliveries } = context.services;
        // The callbacks outlive this call (as long as the feed): they keep only what they use, not the
        // device subscription's record or the whole context.
        const deviceSubscriptionId = device.id;
        const { logger, connection } = context;
        return openFeedStream({
          store,
          fanout,
          feedId: device.feedId,
          deviceSubscriptionId,
          platform: device.platform,
          after,
          head: device.feedHead,
          onDelivered: deliveries.deviceRecorder(deviceSubscriptionId),
          maxPending: context.services.config.limits.maxPendingChanges,
          metrics: context.services.metrics.feeds,
          onOverflow: () => {
            logger.info('closed a slow live feed', { deviceSubscriptionId });
            connection?.close(FeedCloseCode.SlowConsumer, 'Too far behind: resume from your cursor');
          },
        });
      },
      resolve(event: FeedEvent) {
        switch (event.type) {
          case 'change':
            return {
              kind: event.change.kind,
              cursor: encodeCursor(event.change),
              notification: event.change.notification,
            };
          case 'resync':
            return { kind: 'RESYNC' as const, cursor: encodeCursor(event.position), notification: null };
          default:
            throw new UnreachableCaseError(event);
        }
      },
    },
  },
};
