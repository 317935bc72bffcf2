import type { Notification, Platform, VisualContent } from './types.js';

/** Whether a notification's target policy includes a platform (an empty policy includes all). */
export const isTargetedAt = (notification: Notification, platform: Platform): boolean =>
  notification.targetPolicy.platformTypes.length === 0 ||
  notification.targetPolicy.platformTypes.includes(platform);

/** Whether a notification's endpoint fallback goes to a platform. */
export const fallsBackTo = (notification: Notification, platform: Platform): boolean =>
  notification.fallbackPolicy?.endpointFallback.platformTypes.includes(platform) ?? false;

/**
 * What a device of `platform` shows for a notification the client handed it: its own visual content
 * where it is targeted, and its fallback's where it is there only because it fell back (PROTOCOL.md,
 * `FALLBACK`). Null for a raw notification without visual content.
 */
export function visualContentFor(notification: Notification, platform: Platform): VisualContent | null {
  if (isTargetedAt(notification, platform)) return notification.payload.visualContent;
  return notification.fallbackPolicy?.endpointFallback.visualContent ?? notification.payload.visualContent;
}
