import { feedOwnerOf } from '../../auth/principal.js';
import type { Notification } from '../../domain/types.js';
import { badInput, notFound } from '../../errors.js';
import type { NotificationEdit } from '../../store/types.js';
import { chargeMutation, requireAppMutation, requireUserMutation } from '../context.js';
import type {
  CreateNotificationInput,
  Resolvers,
  UpdateNotificationInput,
  UpdateNotificationStateInput,
} from '../generated/resolvers-types.js';
import { toNotificationContent } from './notification-input.js';
import { callerFeedId, resolveNotificationRef } from './notification-ref.js';

const DELETE: NotificationEdit = { kind: 'DELETED', set: { status: 'DELETED' } };

/**
 * The app's update applied to a notification, validated as a whole by the same rules as a new one.
 * @throws GatewayError BAD_USER_INPUT naming the first bad field.
 */
function contentUpdate(input: UpdateNotificationInput, current: Notification, now: Date): NotificationEdit {
  const has = (key: keyof UpdateNotificationInput) => Object.hasOwn(input, key);
  const priority = input.priority ?? current.priority;
  const payload = input.payload ?? { visualContent: current.visualContent, rawContent: current.rawContent };
  const merged: CreateNotificationInput = {
    deviceSubscriptionId: '',
    appNotificationId: current.appNotificationId,
    targetHostName: current.targetHostName,
    payload,
    targetPolicy: { platformTypes: current.platformTypes },
    priority,
    groupName: has('groupName') ? (input.groupName ?? null) : current.groupName,
    displayTimeToLive: has('displayTimeToLive')
      ? (input.displayTimeToLive ?? null)
      : current.displayTimeToLive,
    expirationDateTime: input.expirationDateTime ?? current.expirationDateTime,
    // The fallback stays as posted; it only runs while the notification is HIGH with raw content.
    fallbackPolicy: null,
  };
  const content = toNotificationContent(merged, current.targetHostName, now);
  return {
    kind: 'UPDATED',
    set: {
      visualContent: content.visualContent,
      rawContent: content.rawContent,
      priority: content.priority,
      groupName: content.groupName,
      displayTimeToLive: content.displayTimeToLive,
      expirationDateTime: content.expirationDateTime,
    },
  };
}

/**
 * The state edit a user asked for, or null when it changes nothing (no change is logged then).
 * @throws GatewayError BAD_USER_INPUT for an empty request or a bad snooze.
 */
function stateUpdate(
  input: UpdateNotificationStateInput,
  current: Notification,
  now: Date,
): NotificationEdit | null {
  if (!input.readState && !input.userActionState && !input.snoozedUntil) {
    throw badInput('input', 'Give readState, userActionState or both.');
  }
  const userActionState = input.userActionState ?? current.userActionState;
  const snoozedUntil = userActionState === 'SNOOZED' ? (input.snoozedUntil ?? current.snoozedUntil) : null;
  if (input.snoozedUntil && userActionState !== 'SNOOZED') {
    throw badInput('snoozedUntil', 'snoozedUntil goes only with userActionState SNOOZED.');
  }
  if (userActionState === 'SNOOZED' && (snoozedUntil === null || snoozedUntil <= now)) {
    throw badInput('snoozedUntil', 'SNOOZED needs snoozedUntil in the future.');
  }
  const readState = input.readState ?? current.readState;
  if (
    readState === current.readState &&
    userActionState === current.userActionState &&
    snoozedUntil?.getTime() === current.snoozedUntil?.getTime()
  ) {
    return null;
  }
  return { kind: 'STATE_CHANGED', set: { readState, userActionState, snoozedUntil } };
}

export const notificationEditResolvers: Resolvers = {
  Mutation: {
    async updateNotification(_, { input }, context) {
      requireAppMutation(context);
      const target = await resolveNotificationRef(context, input.notification);
      const at = context.services.now();
      const [change] = await context.services.feeds.editNotifications(
        target.feedId,
        { ids: [target.id], status: 'ACTIVE' },
        (n) => contentUpdate(input, n, at),
        at,
      );
      if (!change) throw notFound('Notification'); // deleted meanwhile
      return { notification: change.notification };
    },
    async deleteNotification(_, { input }, context) {
      chargeMutation(context);
      const target = await resolveNotificationRef(context, input.notification);
      const changes = await context.services.feeds.editNotifications(
        target.feedId,
        { ids: [target.id], status: 'ACTIVE' },
        () => DELETE,
        context.services.now(),
      );
      if (changes.length === 0) throw notFound('Notification');
      return { notificationId: target.id };
    },
    async deleteNotificationGroup(_, { input }, context) {
      chargeMutation(context);
      const feedId = await callerFeedId(context, input.deviceSubscriptionId);
      if (feedId === null) return { notificationIds: [] };
      const notificationIds = await context.services.feeds.editAllInChunks(
        feedId,
        { groupName: input.groupName, status: 'ACTIVE' },
        DELETE,
        context.services.now(),
      );
      return { notificationIds };
    },
    async updateNotificationState(_, { input }, context) {
      requireUserMutation(context);
      const target = await resolveNotificationRef(context, input.notification);
      const at = context.services.now();
      stateUpdate(input, target, at); // refuse bad input before opening a transaction
      const [change] = await context.services.feeds.editNotifications(
        target.feedId,
        { ids: [target.id], status: 'ACTIVE' },
        (n) => stateUpdate(input, n, at),
        at,
      );
      if (change) return { notification: change.notification };
      // Nothing changed: either a no-op (the notification as it is) or deleted meanwhile (gone).
      const current = await context.services.store.findNotification(target.feedId, target.id);
      if (!current || current.status === 'DELETED') throw notFound('Notification');
      return { notification: current };
    },
    async markAllRead(_, __, context) {
      const user = requireUserMutation(context);
      const feedId = await context.services.store.findFeedId(feedOwnerOf(user));
      if (feedId === null) return { count: 0 };
      const ids = await context.services.feeds.editAllInChunks(
        feedId,
        { readState: 'UNREAD', status: 'ACTIVE' },
        { kind: 'STATE_CHANGED', set: { readState: 'READ' } },
        context.services.now(),
      );
      return { count: ids.length };
    },
  },
};
