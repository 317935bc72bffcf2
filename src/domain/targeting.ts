import type { Change, Notification, Platform } from './types.js';

/** Whether a notification's target policy includes a platform (an empty policy includes all). */
export const isTargeted = (notification: Notification, platform: Platform): boolean =>
  notification.platformTypes.length === 0 || notification.platformTypes.includes(platform);

/**
 * Whether a device of `platform` gets a change on its live feed. A new notification goes only where
 * its policy targets, and a fallback only to its policy's platforms. Every later change goes to every
 * device of the user: one may hold the notification from before a re-targeting, or from the feed
 * query, and must learn that it changed, or is gone, or no longer targets it.
 */
export function reachesPlatform(change: Change, platform: Platform): boolean {
  switch (change.kind) {
    case 'CREATED':
      return isTargeted(change.notification, platform);
    case 'FALLBACK':
      return change.notification.fallbackPolicy?.platformTypes.includes(platform) ?? false;
    default:
      return true;
  }
}
