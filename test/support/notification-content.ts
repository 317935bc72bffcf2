import type { NotificationContent } from '../../src/domain/types.js';

/** A valid notification's content for store-level tests (a week to live, no fallback). */
export const notificationContent = (
  targetHostName: string,
  appNotificationId: string,
  title = 'Hello',
  body = 'World',
): NotificationContent => ({
  appNotificationId,
  targetHostName,
  visualContent: { title, body },
  rawContent: null,
  platformTypes: [],
  priority: 'NONE',
  groupName: null,
  displayTimeToLive: null,
  expirationDateTime: new Date(Date.now() + 7 * 86_400_000),
  fallbackPolicy: null,
});
