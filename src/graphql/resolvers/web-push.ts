import { requireUserMutation } from '../context.js';
import type { Resolvers } from '../generated/resolvers-types.js';
import { ownDeviceSubscription } from './device-subscriptions.js';
import { checkedPushSubscription } from './push-subscription-input.js';

export const webPushResolvers: Resolvers = {
  Query: {
    webPush: (_, __, context) => context.services.webPush,
  },
  Mutation: {
    /**
     * @throws GatewayError NOT_FOUND for a device that is not the caller's (or expired); BAD_USER_INPUT for
     *   a device that is not WEB, or a bad endpoint or keys; FORBIDDEN for an app token; RATE_LIMITED.
     */
    async setDevicePushSubscription(_, { input }, context) {
      requireUserMutation(context);
      const device = await ownDeviceSubscription(context, input.deviceSubscriptionId);
      const subscription = input.pushSubscription
        ? checkedPushSubscription(context, device.platform, input.pushSubscription)
        : null;
      return context.services.store.setDevicePushSubscription(
        device.id,
        subscription,
        context.services.now(),
      );
    },
  },
};
