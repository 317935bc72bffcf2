import { feedOwnerOf } from '../../auth/principal.js';
import { encodeCursor } from '../../delivery/cursor.js';
import type { ChangeKind, Notification } from '../../domain/types.js';
import { badInput, ErrorCode, GatewayError, notFound } from '../../errors.js';
import type { PostTarget } from '../../store/types.js';
import {
  type GatewayContext,
  requireAppMutation,
  requireDelegatedMutation,
  usableDevice,
} from '../context.js';
import type { Resolvers, UpsertOutcome } from '../generated/resolvers-types.js';
import { toNotificationContent } from './notification-input.js';
import { callerFeedId, resolveNotificationRef } from './notification-ref.js';

const PAGE = { default: 20, max: 100 } as const;

// Feed page cursors are opaque: base64url of "n:<feedPosition>".
const encodePageCursor = (notification: Notification) =>
  Buffer.from(`n:${notification.feedPosition}`).toString('base64url');
function decodePageCursor(cursor: string): number {
  const match = /^n:(\d{1,15})$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  if (!match?.[1]) throw badInput('after', 'Not a valid page cursor.');
  return Number(match[1]);
}

export const notificationResolvers: Resolvers = {
  Query: {
    async notifications(_, args, context) {
      const first = args.first ?? PAGE.default;
      if (!Number.isInteger(first) || first < 1 || first > PAGE.max) {
        throw badInput('first', `first must be 1 to ${PAGE.max}.`);
      }
      const beforePosition = args.after ? decodePageCursor(args.after) : null;
      const feedId = await callerFeedId(context, args.deviceSubscriptionId);
      if (feedId === null)
        return { edges: [], pageInfo: { hasNextPage: false, endCursor: null }, feedCursor: null };
      const page = await context.services.store.listNotifications(feedId, {
        first,
        beforePosition,
        readState: args.filter?.readState ?? null,
        groupName: args.filter?.groupName ?? null,
      });
      const edges = page.notifications.map((node) => ({ node, cursor: encodePageCursor(node) }));
      return {
        edges,
        pageInfo: { hasNextPage: page.hasNextPage, endCursor: edges.at(-1)?.cursor ?? null },
        feedCursor: encodeCursor(page.head),
      };
    },
    notification: (_, args, context) => resolveNotificationRef(context, args.notification),
  },
  Mutation: {
    async createNotification(_, { input }, context) {
      const { store, feeds } = context.services;
      const now = context.services.now();
      const { appId, target } = await postingTarget(context, input.deviceSubscriptionId);
      const app = await store.findApp(appId);
      if (!app) throw new GatewayError(ErrorCode.Forbidden, 'This app is no longer registered.');
      const content = toNotificationContent(input, app.targetHostName, now);
      // Another app's UNSID, or an expired one, is reported exactly like one that does not exist.
      const change = await feeds.postNotification({ target, content, now });
      if (!change) throw notFound('Device subscription');
      return { notification: change.notification, outcome: upsertOutcome(change.kind) };
    },
  },
  Notification: {
    payload: (n) => ({ visualContent: n.visualContent, rawContent: n.rawContent }),
    targetPolicy: (n) => ({ platformTypes: n.platformTypes }),
    fallbackPolicy: (n) => (n.fallbackPolicy ? { endpointFallback: n.fallbackPolicy } : null),
  },
};

/** What a post did. The store logs a post only as CREATED or REPLACED; anything else is a bug. */
function upsertOutcome(kind: ChangeKind): UpsertOutcome {
  if (kind === 'CREATED' || kind === 'REPLACED') return kind;
  throw new Error(`A post was logged as ${kind}.`);
}

/**
 * Whose feed a post goes to. An app token names the user with one of their UNSIDs in this app (the
 * store checks it in the same transaction as the write); a delegated user token (on-behalf-of) posts to
 * that token's own user only, so a UNSID, if given, must be theirs.
 * @throws GatewayError NOT_FOUND for another user's UNSID, an expired one, or a user with no feed in
 *   this app yet, exactly as for an unknown UNSID; BAD_USER_INPUT for an app naming no UNSID;
 *   FORBIDDEN / RATE_LIMITED (see requireAppMutation, requireDelegatedMutation).
 */
async function postingTarget(
  context: GatewayContext,
  deviceSubscriptionId: string | null | undefined,
): Promise<{ appId: string; target: PostTarget }> {
  const { store } = context.services;
  if (context.principal.kind === 'user') {
    const user = requireDelegatedMutation(context);
    if (deviceSubscriptionId) {
      const device = await usableDevice(context, deviceSubscriptionId);
      return { appId: user.appId, target: { feedId: device.feedId } };
    }
    const feedId = await store.findFeedId(feedOwnerOf(user));
    if (feedId === null) throw notFound('Device subscription');
    return { appId: user.appId, target: { feedId } };
  }
  const { appId } = requireAppMutation(context);
  if (!deviceSubscriptionId) {
    throw badInput(
      'deviceSubscriptionId',
      'An app token names the user with deviceSubscriptionId (a UNSID).',
    );
  }
  return { appId, target: { deviceSubscriptionId, appId } };
}
