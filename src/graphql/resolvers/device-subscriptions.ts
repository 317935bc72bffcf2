import { feedOwnerOf } from '../../auth/principal.js';
import type { DeviceSubscription } from '../../domain/types.js';
import { newUnsid } from '../../domain/unsid.js';
import { badInput, ErrorCode, GatewayError } from '../../errors.js';
import type { DevicePageKey } from '../../store/types.js';
import { type GatewayContext, requireUser, requireUserMutation, usableDevice } from '../context.js';
import type { Resolvers } from '../generated/resolvers-types.js';
import { hasMoreCharactersThan } from './character-count.js';
import { checkedPushSubscription } from './push-subscription-input.js';

const DAY_MS = 24 * 3600 * 1000;
export const DEVICE_SUBSCRIPTION_LIMITS = {
  defaultLifetimeMs: 30 * DAY_MS,
  maxLifetimeMs: 90 * DAY_MS,
  deviceLabelLength: 100,
} as const;

const PAGE = { default: 50, max: 100 } as const;

// Device page cursors are opaque: base64url of "d:<created ms>:<UNSID>" (the keyset of the order).
const encodePageCursor = (device: DeviceSubscription) =>
  Buffer.from(`d:${device.createdDateTime.getTime()}:${device.id}`).toString('base64url');
function decodePageCursor(cursor: string): DevicePageKey {
  const match = /^d:(\d{1,15}):([\w-]{1,64})$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  if (!match?.[1] || !match[2]) throw badInput('after', 'Not a valid page cursor.');
  return { createdDateTime: new Date(Number(match[1])), id: match[2] };
}

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
    /** @throws GatewayError FORBIDDEN for an app token; BAD_USER_INPUT for `first` or `after`. */
    async deviceSubscriptions(_, args, context) {
      const user = requireUser(context);
      const first = args.first ?? PAGE.default;
      if (!Number.isInteger(first) || first < 1 || first > PAGE.max) {
        throw badInput('first', `first must be 1 to ${PAGE.max}.`);
      }
      const after = args.after ? decodePageCursor(args.after) : null;
      const page = await context.services.store.listDeviceSubscriptions(feedOwnerOf(user), {
        first,
        after,
        now: context.services.now(),
      });
      const edges = page.devices.map((node) => ({ node, cursor: encodePageCursor(node) }));
      return { edges, pageInfo: { hasNextPage: page.hasNextPage, endCursor: edges.at(-1)?.cursor ?? null } };
    },
  },
  Mutation: {
    /**
     * @throws GatewayError BAD_USER_INPUT (label, expiry, push subscription); FORBIDDEN for an app token or an unregistered
     *   app; RATE_LIMITED; LIMIT_EXCEEDED past TIDINGS_MAX_DEVICES_PER_USER live devices.
     */
    async createDeviceSubscription(_, { input }, context) {
      const user = requireUserMutation(context);
      const label = input.deviceLabel.trim();
      if (label === '' || hasMoreCharactersThan(label, DEVICE_SUBSCRIPTION_LIMITS.deviceLabelLength)) {
        throw badInput('deviceLabel', 'deviceLabel must be 1 to 100 characters.');
      }
      // An external issuer may issue tokens to any client app; only registered ones have feeds here.
      if (!(await context.services.store.findApp(user.appId))) {
        throw new GatewayError(
          ErrorCode.Forbidden,
          'The app this token was issued to is not registered here.',
        );
      }
      const pushSubscription = input.pushSubscription
        ? checkedPushSubscription(context, input.platform, input.pushSubscription)
        : null;
      const now = context.services.now();
      return context.services.store.createDeviceSubscription({
        pushSubscription,
        id: newUnsid(),
        owner: feedOwnerOf(user),
        platform: input.platform,
        deviceLabel: label,
        expirationDateTime: expiration(input.expirationDateTime, now),
        now,
        maxDevices: context.services.config.limits.maxDevicesPerUser,
      });
    },
    async renewDeviceSubscription(_, { input }, context) {
      requireUserMutation(context);
      const subscription = await ownDeviceSubscription(context, input.deviceSubscriptionId);
      return context.services.store.renewDeviceSubscription(
        subscription.id,
        expiration(input.expirationDateTime, context.services.now()),
      );
    },
    async deleteDeviceSubscription(_, { input }, context) {
      requireUserMutation(context);
      const subscription = await ownDeviceSubscription(context, input.deviceSubscriptionId);
      await context.services.feeds.deleteDeviceSubscription(subscription);
      return { deviceSubscriptionId: subscription.id };
    },
  },
};
