import type { Platform, PushSubscription } from '../../domain/types.js';
import { badInput } from '../../errors.js';
import { type GatewayContext, requireUserMutation } from '../context.js';
import type { PushSubscriptionInput, Resolvers } from '../generated/resolvers-types.js';
import { ownDeviceSubscription } from './device-subscriptions.js';
import { pushSubscriptionOf } from './push-subscription-input.js';

/**
 * A push subscription for a device of `platform`, checked (see pushSubscriptionOf).
 * @throws GatewayError BAD_USER_INPUT for a device that is not WEB (browsers are the only Web Push
 *   clients), or a bad endpoint or keys.
 */
export function checkedPushSubscription(
  context: GatewayContext,
  platform: Platform,
  input: PushSubscriptionInput,
): PushSubscription {
  if (platform !== 'WEB') {
    throw badInput('pushSubscription', 'Only WEB device subscriptions take a pushSubscription.');
  }
  return pushSubscriptionOf(input, {
    allowInsecureLocalhost: context.services.config.webPush.allowInsecureLocalhost,
  });
}

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
