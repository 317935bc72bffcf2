import { feedOwnerOf } from '../../auth/principal.js';
import { encodeCursor } from '../../delivery/cursor.js';
import type { ChangeKind, Notification } from '../../domain/types.js';
import { hasUnsidShape } from '../../domain/unsid.js';
import { badInput, ErrorCode, GatewayError, notFound } from '../../errors.js';
import type { PostTarget } from '../../store/types.js';
import {
  type GatewayContext,
  requireAppMutation,
  requireDelegatedMutation,
  usableDevice,
} from '../context.js';
import type { CreateNotificationInput, Resolvers, UpsertOutcome } from '../generated/resolvers-types.js';
import { hasMoreCharactersThan } from './character-count.js';
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
      const { appId, target } = await postingTarget(context, input);
      const app = await store.findApp(appId);
      if (!app) throw new GatewayError(ErrorCode.Forbidden, 'This app is no longer registered.');
      const content = toNotificationContent(input, app.targetHostName, now);
      // Another app's UNSID, or an expired one, is reported exactly like one that does not exist; so is a
      // string not shaped as a UNSID, which is not posted (the store would read it with other posts).
      const change = namesNoDevice(target) ? null : await feeds.postNotification({ target, content, now });
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

/** Whether a post's target is a UNSID of a shape never issued (see hasUnsidShape). */
const namesNoDevice = (target: PostTarget): boolean =>
  'deviceSubscriptionId' in target && !hasUnsidShape(target.deviceSubscriptionId);

/** What a post did. The store logs a post only as CREATED or REPLACED; anything else is a bug. */
function upsertOutcome(kind: ChangeKind): UpsertOutcome {
  if (kind === 'CREATED' || kind === 'REPLACED') return kind;
  throw new Error(`A post was logged as ${kind}.`);
}

/** OpenID Connect's cap on `sub` (Core 1.0, 2: at most 255 ASCII characters). */
export const USER_ID_MAX_LENGTH = 255;

/**
 * Whose feed a post goes to, named by one of the user's UNSIDs or by their user id: one way, never both.
 *
 * An app token names the user with one of their UNSIDs in this app (the store checks it in the same
 * transaction as the write), or with their user id: the user that app's user tokens name, as the issuer
 * the app is registered with vouches for them (the app token's issuer: the authenticator checked it is
 * the app's). The feed is then that user's in this app, created if they have none yet, exactly the feed
 * their devices use (principal.ts feedOwnerOf), and never another app's.
 *
 * A delegated user token (on-behalf-of) posts to that token's own user only, so a UNSID or user id, if
 * given, must be theirs; it reaches a feed that exists (the user signed in to the app).
 * @throws GatewayError BAD_USER_INPUT for both or (app token) neither of deviceSubscriptionId and userId,
 *   or a malformed user id; NOT_FOUND for another user's UNSID or user id (delegated), an expired UNSID,
 *   or (delegated) a user with no feed in this app yet, exactly as for an unknown UNSID; FORBIDDEN /
 *   RATE_LIMITED (see requireAppMutation, requireDelegatedMutation).
 */
async function postingTarget(
  context: GatewayContext,
  input: Pick<CreateNotificationInput, 'deviceSubscriptionId' | 'userId'>,
): Promise<{ appId: string; target: PostTarget }> {
  const { store } = context.services;
  // An empty UNSID counts as none, as it always has.
  const unsid = input.deviceSubscriptionId || null;
  const userId = input.userId ?? null;
  // The token is checked (and charged) first: a caller that may not post learns nothing about its input.
  const caller =
    context.principal.kind === 'user' ? requireDelegatedMutation(context) : requireAppMutation(context);
  if (unsid !== null && userId !== null) {
    throw badInput('userId', 'Name the user with deviceSubscriptionId or with userId, not both.');
  }
  if (userId !== null) checkUserId(userId);
  if (caller.kind === 'user') {
    if (unsid !== null) {
      const device = await usableDevice(context, unsid);
      return { appId: caller.appId, target: { feedId: device.feedId } };
    }
    // Another user is answered as their UNSID would be: whether they exist leaks nothing.
    if (userId !== null && userId !== caller.subject) throw notFound('Device subscription');
    const feedId = await store.findFeedId(feedOwnerOf(caller));
    if (feedId === null) throw notFound('Device subscription');
    return { appId: caller.appId, target: { feedId } };
  }
  const { appId, issuer } = caller;
  if (userId !== null) return { appId, target: { owner: { appId, issuer, subject: userId } } };
  if (unsid === null) {
    throw badInput(
      'deviceSubscriptionId',
      'An app token names the user with deviceSubscriptionId (a UNSID) or with userId.',
    );
  }
  return { appId, target: { deviceSubscriptionId: unsid, appId } };
}

/**
 * A user id as tokens carry it: compared exactly (no trimming or case folding, as token subjects are).
 * @throws GatewayError BAD_USER_INPUT when it is empty, blank, too long or holds a control character.
 */
function checkUserId(userId: string): void {
  if (userId.trim() === '') throw badInput('userId', 'userId must not be empty.');
  // No token carries one, and PostgreSQL refuses NUL in text: refused here, not as an internal error.
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is refused
  if (/[\u0000-\u001f\u007f]/.test(userId)) {
    throw badInput('userId', 'userId must not contain control characters.');
  }
  if (hasMoreCharactersThan(userId, USER_ID_MAX_LENGTH)) {
    throw badInput('userId', `userId must be at most ${USER_ID_MAX_LENGTH} characters.`);
  }
}
