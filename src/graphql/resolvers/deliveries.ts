import { decodeCursor, encodeCursor } from '../../delivery/cursor.js';
import type { DeviceDelivery } from '../../domain/types.js';
import { badInput } from '../../errors.js';
import { requireApp, requireUserMutation } from '../context.js';
import type { Resolvers } from '../generated/resolvers-types.js';
import { ownDeviceSubscription } from './device-subscriptions.js';
import { resolveNotificationRef } from './notification-ref.js';

export const deliveryResolvers: Resolvers = {
  Query: {
    async notificationDelivery(_, args, context) {
      requireApp(context);
      const notification = await resolveNotificationRef(context, args.notification);
      const devices = await context.services.store.deliveryOf(notification, context.services.now());
      return {
        notification,
        devices: devices.map((delivery: DeviceDelivery) => ({
          deviceSubscriptionId: delivery.deviceSubscription.id,
          platform: delivery.deviceSubscription.platform,
          deviceLabel: delivery.deviceSubscription.deviceLabel,
          targeted: delivery.targeted,
          deliveredDateTime: delivery.deliveredDateTime,
          acknowledgedDateTime: delivery.acknowledgedDateTime,
          pushedDateTime: delivery.pushedDateTime,
        })),
      };
    },
  },
  Mutation: {
    /**
     * Records that the device received every change up to `upTo`.
     * @throws GatewayError NOT_FOUND for a UNSID not the caller's; BAD_USER_INPUT for a cursor of another
     *   epoch or beyond the feed's head (the device cannot have received what does not exist);
     *   FORBIDDEN for an app token; RATE_LIMITED past the user's rate.
     */
    async acknowledgeNotifications(_, { input }, context) {
      requireUserMutation(context);
      const position = decodeCursor(input.upTo, 'upTo');
      const device = await ownDeviceSubscription(context, input.deviceSubscriptionId);
      const { store, now } = context.services;
      const head = await store.feedHead(device.feedId);
      if (position.epoch !== head.epoch || position.offset > head.offset) {
        throw badInput('upTo', 'upTo is not a cursor of this feed.');
      }
      await store.recordDeliveryMarks(
        // An acknowledgement covers the whole feed up to the cursor.
        [{ deviceSubscriptionId: device.id, fromOffset: 0, offset: position.offset, at: now() }],
        'ACKNOWLEDGED',
      );
      return { deviceSubscriptionId: device.id, cursor: encodeCursor(position) };
    },
  },
};
