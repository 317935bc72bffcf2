import type { Notification, NotificationContent, Platform } from './types.js';

// Graph's endpoint fallback (`fallbackPolicy.endpointFallback`): a HIGH notification with raw content
// (data for the app on the device to handle) that no device of the fallback platforms has acknowledged
// within `fallbackDelayInSeconds` is followed by its fallback visual content, shown to the user instead.

/** Whether content carries a fallback that can run: a policy, priority HIGH and raw content. */
export const hasRunnableFallback = (
  content: Pick<NotificationContent, 'fallbackPolicy' | 'priority' | 'rawContent'>,
): boolean => content.fallbackPolicy !== null && content.priority === 'HIGH' && content.rawContent !== null;

/** When the fallback of freshly posted (or replaced) content is due, or null when it has none. */
export function fallbackDueAt(content: NotificationContent, now: Date): Date | null {
  const policy = content.fallbackPolicy;
  if (!policy || !hasRunnableFallback(content)) return null;
  return new Date(now.getTime() + policy.fallbackDelayInSeconds * 1000);
}

/**
 * Whether a fallback whose time has come is sent: the notification is still active and still qualifies
 * (an update may have lowered its priority or removed its raw content), and no device of a fallback
 * platform has acknowledged its feed up to the notification's position.
 */
export function fallbackIsDue(
  notification: Notification,
  devices: ReadonlyArray<{ readonly platform: Platform; readonly ackedOffset: number }>,
): boolean {
  const policy = notification.fallbackPolicy;
  if (!policy || notification.status !== 'ACTIVE' || !hasRunnableFallback(notification)) return false;
  return !devices.some(
    (device) =>
      policy.platformTypes.includes(device.platform) && device.ackedOffset >= notification.feedPosition,
  );
}
