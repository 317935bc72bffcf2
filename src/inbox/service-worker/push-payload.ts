// The push payload the gateway sends (PROTOCOL.md, "Web Push"), as the service worker reads it.

/** The tag of a notification's OS notification: one per notification, so a replacement replaces it. */
export const tagOf = (notificationId: string): string => `tidings:${notificationId}`;

/** The tag of the notification shown for a push that only says "sync" (raw content). */
export const SYNC_TAG = 'tidings:sync';

export interface PushedNotification {
  readonly id: string;
  readonly title: string;
  readonly body: string;
}

export type PushPayload =
  | {
      readonly kind: 'CREATED' | 'REPLACED' | 'FALLBACK';
      readonly notification: PushedNotification;
      readonly tag: string;
      readonly close: readonly string[];
    }
  | { readonly kind: 'SYNC'; readonly tag: string; readonly close: readonly string[] };

const isString = (value: unknown): value is string => typeof value === 'string';

/**
 * A push's payload, or null when it is not one this version understands (another `v`, not JSON): the
 * worker then shows a generic notification, since every push must show one.
 */
export function readPushPayload(text: string | null): PushPayload | null {
  let value: unknown;
  try {
    value = JSON.parse(text ?? '');
  } catch {
    return null;
  }
  if (typeof value !== 'object' || value === null) return null;
  const payload = value as Record<string, unknown>;
  if (payload.v !== 1 || !isString(payload.tag)) return null;
  const close = Array.isArray(payload.close) ? payload.close.filter(isString) : [];
  if (payload.kind === 'SYNC') return { kind: 'SYNC', tag: payload.tag, close };
  if (payload.kind !== 'CREATED' && payload.kind !== 'REPLACED' && payload.kind !== 'FALLBACK') return null;
  const notification = payload.notification as Record<string, unknown> | null | undefined;
  if (!notification || !isString(notification.id)) return null;
  return {
    kind: payload.kind,
    tag: payload.tag,
    close,
    notification: {
      id: notification.id,
      title: isString(notification.title) ? notification.title : '',
      body: isString(notification.body) ? notification.body : '',
    },
  };
}
