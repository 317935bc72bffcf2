import { feedOwnerOf } from '../../auth/principal.js';
import type { Notification } from '../../domain/types.js';
import { badInput, notFound } from '../../errors.js';
import { type GatewayContext, requireApp, usableDevice } from '../context.js';
import type { NotificationRef } from '../generated/resolvers-types.js';

/**
 * The feed the caller acts on: a user's own; an app's view of the user behind a UNSID it targets.
 * @throws GatewayError NOT_FOUND for a UNSID that is not the app's (or expired); BAD_USER_INPUT when an
 *   app names no UNSID.
 */
export async function callerFeedId(
  context: GatewayContext,
  deviceSubscriptionId?: string | null,
): Promise<string | null> {
  const { principal, services } = context;
  if (principal.kind === 'user') return services.store.findFeedId(feedOwnerOf(principal));
  requireApp(context);
  if (!deviceSubscriptionId) {
    throw badInput(
      'deviceSubscriptionId',
      'An app names the user with deviceSubscriptionId (a UNSID of theirs).',
    );
  }
  return (await usableDevice(context, deviceSubscriptionId)).feedId;
}

/**
 * Resolves a NotificationRef to a live (not deleted) notification the caller owns: a user's by id in
 * their feed; an app's by id, or by UNSID + appNotificationId.
 * @throws GatewayError NOT_FOUND for anything else, exactly as for an id that does not exist;
 *   BAD_USER_INPUT for a ref that names neither form (or both).
 */
export async function resolveNotificationRef(
  context: GatewayContext,
  ref: NotificationRef,
): Promise<Notification> {
  const { principal, services } = context;
  const byKey = Boolean(ref.deviceSubscriptionId || ref.appNotificationId);
  if (ref.id ? byKey : !(ref.deviceSubscriptionId && ref.appNotificationId)) {
    throw badInput(
      'notification',
      'Name a notification by id, or (apps) by deviceSubscriptionId and appNotificationId.',
    );
  }
  let notification: Notification | null;
  if (principal.kind === 'user') {
    if (!ref.id) throw badInput('notification', 'A user names a notification by id.');
    const feedId = await services.store.findFeedId(feedOwnerOf(principal));
    notification = feedId === null ? null : await services.store.findNotification(feedId, ref.id);
  } else if (ref.id) {
    const { appId } = requireApp(context);
    notification = await services.store.findNotificationById(ref.id);
    if (notification?.appId !== appId) notification = null;
  } else {
    const feedId = await callerFeedId(context, ref.deviceSubscriptionId);
    notification =
      feedId === null
        ? null
        : await services.store.findNotificationByAppId(feedId, ref.appNotificationId ?? '');
  }
  if (!notification || notification.status === 'DELETED') throw notFound('Notification');
  return notification;
}
