import { randomBytes } from 'node:crypto';
import { feedOwnerOf } from '../../auth/principal.js';
import type { DeviceSubscription } from '../../domain/types.js';
import { badInput, ErrorCode, GatewayError } from '../../errors.js';
import { type GatewayContext, requireUser, usableDevice } from '../context.js';
import type { Resolvers } from '../generated/resolvers-types.js';

const DAY_MS = 24 * 3600 * 1000;
export const DEVICE_SUBSCRIPTION_LIMITS = {
  defaultLifetimeMs: 30 * DAY_MS,
  maxLifetimeMs: 90 * DAY_MS,
  deviceLabelLength: 100,
} as const;

/** A UNSID: 144 random bits, so one cannot be guessed from another. */
const newUnsid = (): string => randomBytes(18).toString('base64url');

function expiration(requested: Date | null | undefined, now: Date): Date {
  const value = requested ?? new Date(now.getTime() + DEVICE_SUBSCRIPTION_LIMITS.defaultLifetimeMs);
  if (value.getTime() <= now.getTime())
    throw badInput('expirationDateTime', 'expirationDateTime must be in the future.');
  if (value.getTime() > now.getTime() + DEVICE_SUBSCRIPTION_LIMITS.maxLifetimeMs) {
    throw badInput('expirationDateTime', 'expirationDateTime must be at most 90 days ahead.');
  }
  return value;
}

/**
 * The caller's own, unexpired device subscription.
 * @throws GatewayError FORBIDDEN for an app token; NOT_FOUND for an id that does not exist, is another
 *   user's or app's, or has expired: the caller cannot tell these apart, so ids of others leak nothing.
 */
export async function ownDeviceSubscription(
  context: GatewayContext,
  id: string,
): Promise<DeviceSubscription> {
  requireUser(context);
  return usableDevice(context, id);
}

export const deviceSubscriptionResolvers: Resolvers = {
  Query: {
    deviceSubscriptions: (_, __, context) =>
      context.services.store.listDeviceSubscriptions(feedOwnerOf(requireUser(context))),
  },
  Mutation: {
    async createDeviceSubscription(_, { input }, context) {
      const user = requireUser(context);
      const label = input.deviceLabel.trim();
      if (label === '' || [...label].length > DEVICE_SUBSCRIPTION_LIMITS.deviceLabelLength) {
        throw badInput('deviceLabel', 'deviceLabel must be 1 to 100 characters.');
      }
      // An external issuer may issue tokens to any client app; only registered ones have feeds here.
      if (!(await context.services.store.findApp(user.appId))) {
        throw new GatewayError(
          ErrorCode.Forbidden,
          'The app this token was issued to is not registered here.',
        );
      }
      const now = context.services.now();
      return context.services.store.createDeviceSubscription({
        id: newUnsid(),
        owner: feedOwnerOf(user),
        platform: input.platform,
        deviceLabel: label,
        expirationDateTime: expiration(input.expirationDateTime, now),
        now,
      });
    },
    async renewDeviceSubscription(_, args, context) {
      const subscription = await ownDeviceSubscription(context, args.id);
      return context.services.store.renewDeviceSubscription(
        subscription.id,
        expiration(args.expirationDateTime, context.services.now()),
      );
    },
    async deleteDeviceSubscription(_, args, context) {
      const subscription = await ownDeviceSubscription(context, args.id);
      await context.services.feeds.deleteDeviceSubscription(subscription);
      return { id: subscription.id };
    },
  },
};
